"""Join tokens: short-lived, bound to one window and one seat, signed with HMAC, and good for
one join (`UsedTokens`): a token seen on the wire cannot open the seat again. A party that
rejoins asks OpenWindow for a fresh one (the gateway does so on every join)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

MAC_BYTES = 16


class TokenError(Exception):
    pass


def issue(secret: bytes, window_id: str, seat: str, ttl_s: float, now: float | None = None) -> str:
    expires = int((now or time.time()) + ttl_s)
    nonce = os.urandom(6).hex()  # two tokens of one seat differ, so each is used once
    body = f"{window_id}|{seat}|{expires}|{nonce}"
    mac = hmac.new(secret, body.encode(), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(body.encode() + b"|" + mac).decode().rstrip("=")


def check(secret: bytes, token: str, window_id: str, now: float | None = None) -> str:
    """The seat the token opens, or TokenError saying why not."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        # the MAC is binary and may contain "|": cut it off by its length
        body, separator, mac = raw[: -MAC_BYTES - 1], raw[-MAC_BYTES - 1 : -MAC_BYTES], raw[-MAC_BYTES:]
        if separator != b"|":
            raise ValueError("no separator")
        token_window, seat, expires, _nonce = body.decode().split("|")
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


class UsedTokens:
    """The tokens that have opened a seat, remembered until they would have expired anyway
    (every token lives at most `ttl_s`)."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._claimed: dict[str, float] = {}  # token -> when it was claimed (insertion order)

    def claim(self, token: str, now: float | None = None) -> None:
        """Marks the token used; TokenError if it was already."""
        now = now or time.time()
        while self._claimed:  # oldest first: drop what can no longer be presented
            oldest, at = next(iter(self._claimed.items()))
            if at + self.ttl_s >= now:
                break
            del self._claimed[oldest]
        if token in self._claimed:
            raise TokenError("token already used")
        self._claimed[token] = now

    def release(self, token: str) -> None:
        """The join it was claimed for failed before the seat opened: usable again."""
        self._claimed.pop(token, None)
