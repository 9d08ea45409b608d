"""Material files in one bucket of an S3-compatible object store, over httpx with SigV4.

Path-style addressing (`<endpoint>/<bucket>/<key>`), which every S3-compatible server
accepts. A PUT is atomic on the server: the object appears whole or not at all. The body is
signed by its SHA-256, so the server refuses a body that does not match (a truncated or
corrupted upload is never stored under the key).
"""

from __future__ import annotations

import re

import httpx

from services.intake import sigv4
from services.intake.blobs import BlobStoreError, sha256_hex


class S3BlobStore:
    def __init__(
        self,
        endpoint: str,
        bucket: str,
        credentials: sigv4.Credentials,
        *,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 3.0,
        max_connections: int = 32,
    ) -> None:
        url = httpx.URL(endpoint)
        self.bucket = bucket
        self.credentials = credentials
        self._host = url.netloc.decode()  # what the Host header carries, signed as such
        self._client = httpx.AsyncClient(
            base_url=endpoint,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            # a pooled connection the server closed is retried on a fresh one
            transport=httpx.AsyncHTTPTransport(retries=1),
        )

    def __repr__(self) -> str:
        return f"S3BlobStore({self._host!r}, bucket={self.bucket!r})"

    async def close(self) -> None:
        await self._client.aclose()

    async def _send(
        self, method: str, path: str, body: bytes = b"", payload_sha256: str | None = None
    ) -> httpx.Response:
        if payload_sha256 is None:
            payload_sha256 = await sha256_hex(body)
        headers = sigv4.sign(self.credentials, method, self._host, path, payload_sha256=payload_sha256)
        try:
            return await self._client.request(
                method, sigv4.uri_encode(path, keep_slash=True), content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise BlobStoreError(f"{method} {path}: {type(exc).__name__}: {exc}", code="Unreachable") from exc

    def _path(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"bad blob key: {key!r}")
        return f"/{self.bucket}/{key}"

    async def put(self, key: str, data: bytes) -> None:
        digest = await sha256_hex(data)
        response = await self._send("PUT", self._path(key), data, digest)
        if response.status_code == 404 and _code(response) == "NoSuchBucket":
            await self.ensure_bucket()  # the store was not ready when intake started
            response = await self._send("PUT", self._path(key), data, digest)
        if response.status_code != 200:
            raise _refused("PUT", key, response)

    async def get(self, key: str) -> bytes:
        response = await self._send("GET", self._path(key))
        if response.status_code == 404:
            raise FileNotFoundError(f"no blob {key!r} in bucket {self.bucket!r}")
        if response.status_code != 200:
            raise _refused("GET", key, response)
        return response.content

    async def delete(self, key: str) -> None:
        response = await self._send("DELETE", self._path(key))
        if response.status_code not in (200, 204, 404):
            raise _refused("DELETE", key, response)

    async def ensure_bucket(self) -> None:
        """Creates the bucket unless it exists (an operator may have made it already)."""
        head = await self._send("HEAD", f"/{self.bucket}")
        if head.status_code == 200:
            return
        if head.status_code != 404:
            raise _refused("HEAD", "", head)
        created = await self._send("PUT", f"/{self.bucket}")
        if created.status_code not in (200, 409):  # 409: made meanwhile by someone else
            raise _refused("PUT bucket", "", created)


def _code(response: httpx.Response) -> str:
    """The server's S3 error code (e.g. SignatureDoesNotMatch) from its XML answer."""
    found = re.search(r"<Code>([^<]+)</Code>", response.text or "")
    return found.group(1) if found else f"HTTP{response.status_code}"


def _refused(what: str, key: str, response: httpx.Response) -> BlobStoreError:
    code = _code(response)
    return BlobStoreError(
        f"{what} {key}: {response.status_code} {code}", code=code, status=response.status_code
    )
