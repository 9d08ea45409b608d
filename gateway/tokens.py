"""Applicant tokens: an HMAC-signed grant to one case, handed out when a kiosk creates the
application and good only together with that kiosk's device key. Stateless, so any gateway
replica sharing the secret accepts it.

Form: base64url(`v2|<case_id>|<hall_id>|<device id>|<expires unix s>`) + "." +
base64url(HMAC-SHA256). A token alone opens nothing: it travels in an Authorization header
(never a URL) and the request must also carry the key of the device it names.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

VERSION = "v2"


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class ApplicantGrant:
    case_id: str
    hall_id: str
    device_id: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, b"tongban-applicant|" + body, hashlib.sha256).digest()


def issue(
    secret: bytes, case_id: str, hall_id: str, device_id: str, ttl_s: float, now: float | None = None
) -> str:
    expires = int((now if now is not None else time.time()) + ttl_s)
    body = f"{VERSION}|{case_id}|{hall_id}|{device_id}|{expires}".encode()
    return f"{_b64(body)}.{_b64(_mac(secret, body))}"


def check(secret: bytes, token: str, now: float | None = None) -> ApplicantGrant:
    try:
        encoded_body, encoded_mac = token.split(".")
        body, mac = _unb64(encoded_body), _unb64(encoded_mac)
        version, case_id, hall_id, device_id, expires = body.decode().split("|")
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("malformed token") from exc
    if not hmac.compare_digest(mac, _mac(secret, body)) or version != VERSION:
        raise TokenError("forged token")
    if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
        raise TokenError("expired token")
    return ApplicantGrant(case_id, hall_id, device_id, int(expires))
