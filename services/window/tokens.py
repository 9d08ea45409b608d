"""Join tokens: short-lived, bound to one window and one seat, signed with HMAC."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

MAC_BYTES = 16


class TokenError(Exception):
    pass


def issue(secret: bytes, window_id: str, seat: str, ttl_s: float, now: float | None = None) -> str:
    expires = int((now or time.time()) + ttl_s)
    body = f"{window_id}|{seat}|{expires}"
    mac = hmac.new(secret, body.encode(), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(body.encode() + b"|" + mac).decode().rstrip("=")


def check(secret: bytes, token: str, window_id: str, now: float | None = None) -> str:
    """The seat the token opens, or TokenError saying why not."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        # the MAC is binary and may contain "|": cut it off by its length
        body, separator, mac = raw[:-MAC_BYTES - 1], raw[-MAC_BYTES - 1:-MAC_BYTES], raw[-MAC_BYTES:]
        if separator != b"|":
            raise ValueError("no separator")
        token_window, seat, expires = body.decode().split("|")
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("malformed token") from exc
    expected = hmac.new(secret, body, hashlib.sha256).digest()[:MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        raise TokenError("forged token")
    if token_window != window_id:
        raise TokenError("token of another window")
    if int(expires) < (now or time.time()):
        raise TokenError("expired token")
    return seat
