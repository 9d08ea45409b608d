"""Personal data: masking for events, logs and operator views; AES-256-GCM with key ids for
storage at rest; keyed pseudonyms so services correlate one person's cases without knowing
who it is (PIPL art. 51: encryption and de-identification); what people may be shown
(`for_people`); personal numbers found in free text (`personal_numbers`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"v1"  # ciphertext layout: b"v1:" + key id + b":" + 12-byte nonce + ciphertext+tag
NONCE_BYTES = 12
PSEUDONYM_CHARS = 32  # 128 bits of HMAC-SHA256, hex: collisions are not a practical worry


class CryptoError(Exception):
    """Unknown key id, malformed or tampered ciphertext, or wrong associated data."""


def mask_id_number(number: str) -> str:
    """ "340104199001011234" → "340104********1234": division and last four only.

    Shorter than an ID number (15 or 18) is masked whole: keeping ten characters of a short
    string would show most of it."""
    text = number.strip()
    if len(text) < 15:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_id_for_people(number: str) -> str:
    """ "340104199001011234" or "340104********1234" → "**************1234": the last four
    only, for what people see.

    The masked form services exchange keeps the division code, which leaves the birth date
    alone unknown: about 3,000 candidates once the check digit is counted, few enough to
    try one by one against anything that answers for a full number. Without the division
    there are millions."""
    text = number.strip()
    if len(text) < 15:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


PEOPLE_HIDDEN = frozenset({"pseudonym"})


def for_people(data: Any) -> Any:
    """A JSON view (dicts and lists) as people may see it, changed in place and returned:
    no keyed pseudonym (it stays with the services that correlate cases) and ID numbers
    down to their last four characters."""
    if isinstance(data, dict):
        for key in [k for k in data if k in PEOPLE_HIDDEN]:
            del data[key]
        for key, value in data.items():
            if key in ("id_number", "idNumber") and isinstance(value, str):
                data[key] = mask_id_for_people(value)
            else:
                for_people(value)
    elif isinstance(data, list):
        for item in data:
            for_people(item)
    return data


def mask_name(name: str) -> str:
    """ "张三丰" → "张**"; "Li Wei" → "L* W**": the first character of each word stays."""
    text = name.strip()
    if not text:
        return ""
    if text.isascii():
        return " ".join(word[0] + "*" * (len(word) - 1) if len(word) > 1 else "*" for word in text.split())
    return text[0] + "*" * (len(text) - 1) if len(text) > 1 else "*"


def mask_phone(phone: str) -> str:
    """ "13812345678" → "138****5678"; anything shorter than a mobile number is masked whole."""
    text = phone.strip()
    if len(text) < 11:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def generate_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class Keyring:
    """Keys by id; the first is current for encryption, every one can decrypt (rotation)."""

    # repr=False: a keyring printed in a log line or a traceback must not print the keys
    keys: dict[str, bytes] = field(repr=False)
    current: str

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise CryptoError(f"current key {self.current} is not in the keyring")

    @classmethod
    def parse(cls, text: str, current: str | None = None) -> Keyring:
        """From "k2:<base64>,k1:<base64>" (current key first)."""
        keys: dict[str, bytes] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):  # a stray comma is harmless
            kid, sep, encoded = part.partition(":")
            if not sep or not kid or ":" in kid:
                raise CryptoError("keys are written kid:base64key[,kid:base64key…]")
            try:
                key = base64.b64decode(encoded, validate=True)
            except ValueError as exc:
                raise CryptoError(f"key {kid} is not valid base64") from exc
            if len(key) != 32:
                raise CryptoError(f"key {kid} must be 32 bytes (AES-256), got {len(key)}")
            if kid in keys:
                # two keys under one id: ciphertexts made with the other could never be read
                raise CryptoError(f"key id {kid} appears twice")
            keys[kid] = key
        if not keys:
            raise CryptoError("no keys given")
        return cls(keys, current or next(iter(keys)))  # dicts keep the written order

    def encrypt(self, plaintext: bytes, associated: bytes = b"") -> bytes:
        """`associated` binds the ciphertext to its place (record id, field name)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, associated)
        return FORMAT + b":" + self.current.encode() + b":" + nonce + sealed

    def decrypt(self, blob: bytes, associated: bytes = b"") -> bytes:
        version, sep, rest = blob.partition(b":")
        kid, sep2, body = rest.partition(b":")
        if version != FORMAT or not sep or not sep2 or len(body) < NONCE_BYTES + 16:
            raise CryptoError("not a Tongban ciphertext")
        key = self.keys.get(kid.decode(errors="replace"))
        if key is None:
            raise CryptoError(f"unknown key id {kid.decode(errors='replace')}")
        try:
            return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], associated)
        except InvalidTag as exc:
            raise CryptoError("ciphertext was tampered with or belongs elsewhere") from exc


def pseudonym(secret: bytes, id_number: str) -> str:
    """The same person gives the same pseudonym under one secret; nobody can go back.

    Full-width characters (a Chinese IME's "１…Ｘ") and whitespace are folded first, so one
    person never gets two pseudonyms because of how the number was typed.
    """
    normalised = "".join(unicodedata.normalize("NFKC", id_number).split()).upper()
    return hmac.new(secret, normalised.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_CHARS]


# ------------------------------------------------------------------ personal numbers in text

_APART = r"(?<![0-9A-Za-z])"  # a number inside a longer one (a case id, a code) is not one
_END = r"(?![0-9A-Za-z])"
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
# the shape (division, birth date, sequence, check): a mistyped check digit is still someone's
_ID18 = re.compile(_APART + r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}" + _DATE + r"[0-9]{3}[0-9Xx]" + _END)
_ID15 = re.compile(_APART + r"[1-9][0-9]{5}[0-9]{2}" + _DATE + r"[0-9]{3}" + _END)
_SEPARATOR = r"[ \-]?"
_MOBILE = re.compile(
    _APART + r"(?:\+?86[ \-]?)?(1[3-9][0-9]" + _SEPARATOR + r"[0-9]{4}" + _SEPARATOR + r"[0-9]{4})" + _END
)
_LANDLINE = re.compile(_APART + r"(0[1-9][0-9]{1,2}[ \-]?[2-9][0-9]{6,7})" + _END)


def personal_numbers(text: str) -> list[str]:
    """What kinds of personal number the text holds: "id_number" (the shape of a resident
    ID, 18 or first-generation 15 characters, with a birth date in it), "phone" (a mobile number, with
    or without +86 and spaces or dashes, or a landline with its area code). Full-width
    digits count. Empty when there is none.

    Free text (a legal basis, a reason, a note) goes into events and onto screens, where
    only masked forms may appear; this finds what must not."""
    folded = unicodedata.normalize("NFKC", text)
    found: list[str] = []
    if _ID18.search(folded) or _ID15.search(folded):
        found.append("id_number")
    if _MOBILE.search(folded) or _LANDLINE.search(folded):
        found.append("phone")
    return found
