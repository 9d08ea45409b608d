"""Streams the file of a multipart/form-data upload without holding it in memory.

Only the first part that carries a filename (or is named "file") is streamed; other parts
are skipped (bounded). The material code and source travel in the query string, so the
body is just the file. A raw body (image/jpeg, image/png, application/pdf) streams as is.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

MAX_HEADER_BYTES = 16 * 1024
MAX_SKIPPED_PART = 64 * 1024
RAW_TYPES = {"image/jpeg", "image/png", "application/pdf", "application/octet-stream"}


class MultipartError(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def boundary_of(content_type: str) -> bytes:
    match = re.search(r'boundary="?([^";,]{1,200})"?', content_type, re.IGNORECASE)
    if not match:
        raise MultipartError("multipart 请求缺少 boundary", "multipart body without a boundary")
    return match[1].encode("latin-1")


def _disposition(headers: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in headers.split(b"\r\n"):
        name, _, value = line.decode("utf-8", errors="replace").partition(":")
        if name.strip().lower() == "content-disposition":
            for key, quoted, bare in re.findall(r';\s*([a-zA-Z*]+)=(?:"([^"]*)"|([^;]*))', value):
                found[key.lower()] = quoted or bare.strip()
    return found


class _Reader:
    def __init__(self, stream: AsyncIterator[bytes]) -> None:
        self.stream = stream
        self.buffer = b""
        self.ended = False

    async def more(self) -> bool:
        if self.ended:
            return False
        async for chunk in self.stream:
            if chunk:
                self.buffer += chunk
                return True
        self.ended = True
        return False

    async def until(self, marker: bytes, limit: int) -> bytes:
        """Everything before `marker` (consumed with it), at most `limit` bytes."""
        while True:
            index = self.buffer.find(marker)
            if index >= 0:
                found, self.buffer = self.buffer[:index], self.buffer[index + len(marker) :]
                return found
            if len(self.buffer) > limit + len(marker):
                raise MultipartError("multipart 部分过大", "a multipart part is too large")
            if not await self.more():
                raise MultipartError("multipart 请求不完整", "the multipart body is truncated")


async def file_part(stream: AsyncIterator[bytes], boundary: bytes) -> tuple[str, AsyncIterator[bytes]]:
    """(file name, its bytes as a stream). MultipartError on a malformed body, raised here
    for the headers and from the stream for a truncated file."""
    reader = _Reader(stream)
    delimiter = b"--" + boundary
    await reader.until(delimiter, MAX_HEADER_BYTES)  # the preamble
    while True:
        after = await reader.until(b"\r\n", 2)
        if after == b"--":
            raise MultipartError("上传内容中没有文件", "the upload carries no file")
        if after:
            raise MultipartError("multipart 格式错误", "malformed multipart body")
        headers = await reader.until(b"\r\n\r\n", MAX_HEADER_BYTES)
        disposition = _disposition(headers)
        if "filename" in disposition or disposition.get("name") == "file":
            break
        await reader.until(b"\r\n" + delimiter, MAX_SKIPPED_PART)

    end = b"\r\n" + delimiter

    async def body() -> AsyncIterator[bytes]:
        while True:
            index = reader.buffer.find(end)
            if index >= 0:
                if index:
                    yield reader.buffer[:index]
                return
            keep = len(end) - 1  # the marker may straddle two chunks
            if len(reader.buffer) > keep:
                yield reader.buffer[:-keep]
                reader.buffer = reader.buffer[-keep:]
            if not await reader.more():
                raise MultipartError("上传未完成，文件被截断", "the upload is truncated")

    return disposition.get("filename", "upload"), body()


async def rechunk(stream: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """Chunks of exactly `size` bytes (the last may be shorter)."""
    pending = bytearray()
    async for chunk in stream:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)
