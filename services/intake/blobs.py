"""Where material files live: a small interface, a local directory by default, an
S3-compatible bucket when configured (services/intake/s3store.py).

Keys are content-addressed (`<case>/<sha256>`), so writing the same bytes twice is harmless
and a half-finished upload never replaces a good file (write to a temporary name, rename;
an S3 PUT is atomic on the server).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from pathlib import Path
from typing import Protocol

HASH_OFF_LOOP_BYTES = 1 << 20  # hashing 20 MiB takes ~40 ms: not on the event loop


async def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data`; a large file is hashed on a thread (hashlib lets go of the GIL
    meanwhile), so other calls are not held up behind it."""
    if len(data) < HASH_OFF_LOOP_BYTES:
        return hashlib.sha256(data).hexdigest()
    return await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())


class BlobStoreError(Exception):
    """The store could not keep or serve a file (unreachable, refused, disk full); the
    caller answers UNAVAILABLE and writes nothing."""

    def __init__(self, message: str, code: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.code = code  # e.g. the S3 error code: SignatureDoesNotMatch, Unreachable
        self.status = status


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...


class LocalBlobStore:
    """Files under `root`, durable before `put` returns: the file is fsynced, renamed into
    place, and its directory fsynced (else a crash could lose the name while the database
    row that names it survives)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        # checked by its parts, not resolved on disk: cheaper, and nothing here makes links
        parts = key.split("/")
        if not key or any(part in ("", ".", "..") or "\\" in part for part in parts):
            raise ValueError(f"blob key escapes the store: {key!r}")
        return self.root.joinpath(*parts)

    async def put(self, key: str, data: bytes) -> None:
        try:
            await asyncio.to_thread(self._put, key, data)
        except OSError as exc:
            raise BlobStoreError(f"storing {key}: {exc}", code=type(exc).__name__) from exc

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        made = _make_dirs(path.parent)
        tmp = path.parent / f".upload-{uuid.uuid4().hex}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.replace(tmp, path)
        for directory in (path.parent, *made):
            _fsync_dir(directory)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)


def _make_dirs(directory: Path) -> list[Path]:
    """Creates `directory` and any missing parents; the directories whose entries changed."""
    try:
        directory.mkdir()
    except FileExistsError:
        return []
    except FileNotFoundError:
        changed = _make_dirs(directory.parent)
        directory.mkdir(exist_ok=True)
        return [*changed, directory.parent]
    return [directory.parent]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
