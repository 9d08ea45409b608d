"""The local blob store: whole files or nothing, keys kept inside the store."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from services.intake.blobs import BlobStoreError, LocalBlobStore, sha256_hex


async def test_round_trip_leaves_only_the_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = os.urandom(70_000)
    key = f"case-1/{hashlib.sha256(data).hexdigest()}"
    await store.put(key, data)
    await store.put(key, data)  # content-addressed: again is harmless
    assert await store.get(key) == data
    assert [p.name for p in (tmp_path / "blobs" / "case-1").iterdir()] == [key.split("/")[1]]
    await store.delete(key)
    await store.delete(key)
    with pytest.raises(FileNotFoundError):
        await store.get(key)


async def test_deeper_keys_make_their_folders(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put("a/b/c/file", b"x")
    assert (tmp_path / "a" / "b" / "c" / "file").read_bytes() == b"x"


@pytest.mark.parametrize(
    "key", ["../outside", "case/../../outside", "/etc/passwd", "a//b", "", "case/.", "case\\..\\x"]
)
async def test_keys_that_leave_the_store_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(ValueError, match="escapes"):
        await store.put(key, b"x")
    assert not (tmp_path / "outside").exists()


async def test_a_failed_write_is_a_store_error_and_leaves_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    (tmp_path / "blobs" / "case-2").write_text("a file where the case folder should be")
    with pytest.raises(BlobStoreError):
        await store.put("case-2/abc", b"data")
    assert sorted(p.name for p in (tmp_path / "blobs").iterdir()) == ["case-2"]


@pytest.mark.parametrize("size", [0, 4096, 3 << 20])
async def test_sha256_hex_small_on_the_loop_large_on_a_thread(size: int) -> None:
    data = os.urandom(size)
    assert await sha256_hex(data) == hashlib.sha256(data).hexdigest()
