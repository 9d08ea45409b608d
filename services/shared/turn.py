"""Time-limited TURN credentials, the "TURN REST API" scheme coturn checks with
`--use-auth-secret --static-auth-secret=<secret>`:

    username   = "<expiry, unix seconds>:<who>"
    credential = base64(HMAC-SHA1(secret, username))

TURN recomputes the credential from the username and refuses an expired one, so no user
database is shared: the gateway hands credentials to browsers (a kiosk, an official), the
window service makes its own, and a leaked credential dies with its expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

DEFAULT_TTL_S = 3600.0
_WHO = re.compile(r"[^A-Za-z0-9_.@-]")  # ':' separates the expiry; keep names plain


@dataclass(frozen=True)
class TurnCredential:
    username: str
    credential: str
    expires: int  # unix seconds


def credential(
    secret: str, who: str, ttl_s: float = DEFAULT_TTL_S, now: float | None = None
) -> TurnCredential:
    if not secret:
        raise ValueError("no TURN secret configured")
    expires = int((time.time() if now is None else now) + ttl_s)
    username = f"{expires}:{_WHO.sub('_', who)[:64] or 'anonymous'}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(username, base64.b64encode(digest).decode(), expires)


def ice_servers(urls: list[str], secret: str, who: str, ttl_s: float = DEFAULT_TTL_S) -> list[dict[str, str]]:
    """RTCIceServer dictionaries for a browser: STUN URLs as they are, TURN URLs with a
    fresh credential when a secret is configured."""
    fresh = credential(secret, who, ttl_s) if secret else None
    servers: list[dict[str, str]] = []
    for url in urls:
        server = {"urls": url}
        if fresh is not None and url.startswith(("turn:", "turns:")):
            server |= {"username": fresh.username, "credential": fresh.credential}
        servers.append(server)
    return servers
