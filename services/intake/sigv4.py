"""AWS Signature Version 4 for S3-compatible stores: pure functions, no I/O.

Follows the published algorithm: canonical request → string to sign → HMAC chain of date,
region, service → signature in the Authorization header. The payload is always signed by its
SHA-256 (never UNSIGNED-PAYLOAD), so the server can refuse a body that differs from what was
signed, and a truncated upload cannot be stored as the object.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True, repr=False)
class Credentials:
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    service: str = "s3"

    def __repr__(self) -> str:  # the secret key never reaches a log line
        return f"Credentials(access_key={self.access_key!r}, region={self.region!r})"


def uri_encode(text: str, keep_slash: bool) -> str:
    """RFC 3986 encoding as SigV4 wants it: only A-Z a-z 0-9 - _ . ~ stay as they are."""
    return quote(text, safe="-_.~/" if keep_slash else "-_.~")


def canonical_query(query: Mapping[str, str]) -> str:
    return "&".join(f"{uri_encode(k, False)}={uri_encode(v, False)}" for k, v in sorted(query.items()))


def canonical_request(
    method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], payload_sha256: str
) -> tuple[str, str]:
    """The canonical request and its signed-header list. `headers` are the ones to sign
    (host and the x-amz-* ones at least); names are compared without case."""
    folded = {k.strip().lower(): " ".join(v.split()) for k, v in headers.items()}
    names = sorted(folded)
    signed = ";".join(names)
    text = "\n".join(
        [
            method.upper(),
            uri_encode(path or "/", keep_slash=True),  # S3 encodes the path once, not twice
            canonical_query(query),
            "".join(f"{n}:{folded[n]}\n" for n in names),
            signed,
            payload_sha256,
        ]
    )
    return text, signed


def scope(credentials: Credentials, when: datetime) -> str:
    return f"{when:%Y%m%d}/{credentials.region}/{credentials.service}/aws4_request"


def string_to_sign(canonical: str, credentials: Credentials, when: datetime) -> str:
    return "\n".join(
        [ALGORITHM, amz_date(when), scope(credentials, when), hashlib.sha256(canonical.encode()).hexdigest()]
    )


def signing_key(credentials: Credentials, when: datetime) -> bytes:
    key = ("AWS4" + credentials.secret_key).encode()
    for part in (f"{when:%Y%m%d}", credentials.region, credentials.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(to_sign: str, credentials: Credentials, when: datetime) -> str:
    return hmac.new(signing_key(credentials, when), to_sign.encode(), hashlib.sha256).hexdigest()


def amz_date(when: datetime) -> str:
    return f"{when.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def sign(
    credentials: Credentials,
    method: str,
    host: str,
    path: str,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    payload_sha256: str = EMPTY_SHA256,
    when: datetime | None = None,
) -> dict[str, str]:
    """The headers to send: the caller's, plus host, x-amz-date, x-amz-content-sha256 and
    Authorization. Every header passed in is signed."""
    when = (when or datetime.now(UTC)).astimezone(UTC)
    out = {
        "host": host,
        **(headers or {}),
        "x-amz-date": amz_date(when),
        "x-amz-content-sha256": payload_sha256,
    }
    canonical, signed = canonical_request(method, path, query or {}, out, payload_sha256)
    proof = signature(string_to_sign(canonical, credentials, when), credentials, when)
    out["authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/"
        f"{scope(credentials, when)}, SignedHeaders={signed}, "
        f"Signature={proof}"
    )
    return out
