"""A material upload streamed from the browser into intake's UploadMaterial client stream,
64 KiB per message, without holding the file in memory. Intake sees the end of the stream
only when the whole file arrived (the multipart closing boundary, or a raw body of its
declared length); a body that breaks off cancels the call, so intake stores nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
from starlette.requests import Request

from gateway.context import Gateway
from gateway.errors import ApiError, bad_request, from_rpc
from gateway.multipart import RAW_TYPES, MultipartError, boundary_of, file_part, rechunk
from tongban.intake.v1 import intake_pb2

CHUNK = 64 * 1024
MIB = 1024 * 1024
UPLOAD_TIMEOUT_S = 120.0


async def _exactly(stream: AsyncIterator[bytes], declared: str) -> AsyncIterator[bytes]:
    """A raw body, refused at its end when it is shorter than its Content-Length."""
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        yield chunk
    if declared.isdigit() and seen != int(declared):
        raise MultipartError("上传未完成，文件被截断", "the upload is truncated")


async def file_stream(request: Request) -> tuple[str, AsyncIterator[bytes]]:
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        try:
            return await file_part(request.stream(), boundary_of(content_type))
        except MultipartError as error:
            raise bad_request("file", "MULTIPART", error.zh, error.en) from None
    if kind in RAW_TYPES:
        return "upload", _exactly(request.stream(), request.headers.get("content-length", ""))
    raise ApiError(
        415,
        "unsupported_media_type",
        "请以 multipart/form-data 或 JPEG/PNG/PDF 原始内容上传",
        "upload as multipart/form-data or as a raw JPEG, PNG or PDF body",
    )


def file_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "too_large",
        f"文件过大（上限 {limit // MIB} MiB）",
        f"the file is too large (limit {limit // MIB} MiB)",
    )


async def upload(
    gateway: Gateway, request: Request, case_id: str, material_code: str, source: str
) -> dict[str, Any]:
    file_name, stream = await file_stream(request)
    header = intake_pb2.UploadHeader(
        case_id=case_id, material_code=material_code, file_name=file_name[:200], source=source
    )
    limit = gateway.settings.max_upload_bytes
    call = gateway.services.intake.UploadMaterial(timeout=UPLOAD_TIMEOUT_S)
    try:
        sent = False
        size = 0
        async for chunk in rechunk(stream, CHUNK):
            size += len(chunk)
            if size > limit:  # refused here, not by intake mid-stream (a write racing its
                call.cancel()  # refusal reads as a bare INTERNAL error, not its reason)
                raise file_too_large(limit)
            message = intake_pb2.UploadMaterialRequest(data=chunk)
            if not sent:
                message.header.CopyFrom(header)
                sent = True
            await call.write(message)
        if not sent:
            raise bad_request("file", "EMPTY", "文件为空", "the file is empty")
        await call.done_writing()
        reply = await call
    except MultipartError as error:
        call.cancel()
        raise bad_request("file", "MULTIPART", error.zh, error.en) from None
    except asyncio.InvalidStateError:  # intake ended the call early (too large, bad case)
        try:
            await call
        except grpc.RpcError as error:
            raise from_rpc(error, "intake") from None
        raise
    except grpc.RpcError as error:
        raise from_rpc(error, "intake") from None
    except BaseException:
        call.cancel()
        raise
    material: intake_pb2.Material = reply.material
    return {
        "id": material.id,
        "code": material.code,
        "content_type": material.content_type,
        "size": material.size,
        "sha256": material.sha256,
        "source": material.source,
    }
