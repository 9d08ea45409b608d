"""The second factor: TOTP (RFC 6238, HMAC-SHA1, 6 digits, 30-second steps) computed by
`cryptography`, its keys sealed at rest, and single-use recovery codes.

Graded protection level 3 asks administrators for two factors, one cryptographic; the
gateway asks them of administrators and supervisors (`REQUIRED_ROLES`).

- A code is accepted for the step it was made in or the one before or after (clock drift
  of up to 30 s either way), and only for a step later than the last one accepted for the
  account, so a code seen over a shoulder cannot be used again (RFC 6238 §5.2).
- Keys are 160 random bits (RFC 4226 §4), kept sealed with AES-256-GCM under a key derived
  (HKDF-SHA256) from TONGBAN_SESSION_SECRET and bound to the username.
- Recovery codes are 80 random bits each, shown once; only an HMAC of each is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA1, SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

REQUIRED_ROLES = frozenset({"admin", "supervisor"})
DIGITS = 6
STEP_S = 30
DRIFT_STEPS = 1
KEY_BYTES = 20
ISSUER = "Tongban"
RECOVERY_CODES = 10
_NONCE = 12


class SealError(Exception):
    """A sealed key that does not open: another secret, or another account's key."""


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def _totp(key: bytes) -> TOTP:
    return TOTP(key, DIGITS, SHA1(), STEP_S, enforce_key_length=False)


def step_of(now: float) -> int:
    return int(now // STEP_S)


def code(key: bytes, now: float | None = None) -> str:
    """The code an authenticator shows at `now` (for tests and the development stack)."""
    return _totp(key).generate(time.time() if now is None else now).decode()


def accepted_step(key: bytes, presented: str, last_step: int, now: float | None = None) -> int | None:
    """The step `presented` is the code of (this one, or one step either side), if that
    step is later than `last_step`; None otherwise."""
    text = "".join(presented.split())
    if len(text) != DIGITS or not text.isdigit():
        return None
    current = step_of(time.time() if now is None else now)
    totp = _totp(key)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last_step and hmac.compare_digest(totp.generate(step * STEP_S), text.encode()):
            return step
    return None


def secret_text(key: bytes) -> str:
    """The key as an authenticator app takes it typed in: base32, in groups of four."""
    raw = base64.b32encode(key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def provisioning_uri(key: bytes, username: str) -> str:
    return _totp(key).get_provisioning_uri(username, ISSUER)


def qr_svg(text: str, size: int = 200) -> str:
    """`text` as a QR code in SVG (reportlab draws it; no network, no script)."""
    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    svg: str = renderSVG.drawToString(drawing)
    return svg


@dataclass(frozen=True)
class Sealer:
    """Seals TOTP keys for the database under a key derived from the session secret."""

    key: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> Sealer:
        derived = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"tongban-totp-key-v1").derive(secret)
        return cls(derived)

    def seal(self, totp_key: bytes, username: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(self.key).encrypt(nonce, totp_key, username.encode())

    def open(self, sealed: bytes, username: str) -> bytes:
        try:
            return AESGCM(self.key).decrypt(sealed[:_NONCE], sealed[_NONCE:], username.encode())
        except (InvalidTag, ValueError) as error:
            raise SealError("the TOTP key does not open with this secret") from error

    def recovery_hash(self, username: str, recovery_code: str) -> str:
        normalised = "".join(recovery_code.split()).replace("-", "").lower()
        message = f"{username}|{normalised}".encode()
        return hmac.new(self.key, b"tongban-recovery|" + message, hashlib.sha256).hexdigest()


def recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Fresh codes, `xxxx-xxxx-xxxx-xxxx` in lower-case base32 (80 bits each)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(alphabet) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes
