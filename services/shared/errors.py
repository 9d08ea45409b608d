"""Errors that cross the gRPC boundary with meaning: a status code, a message in zh and en,
and per-field details (google.rpc.BadRequest) for bad input.

Servicer methods raise ServiceError (or return normally); `@grpc_errors` turns it into a rich
status. Clients (the gateway) read it back with `parse_rpc_error`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

ZH = "zh-CN"
EN = "en-US"


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: its path, a machine-readable code, and a message in zh and en."""

    field: str
    code: str
    message_zh: str
    message_en: str


class ValidationFailed(Exception):
    """Raised by pure domain rules with every bad field; becomes INVALID_ARGUMENT at the edge."""

    def __init__(self, violations: Sequence[FieldViolation]) -> None:
        super().__init__("; ".join(f"{v.field}: {v.message_en}" for v in violations))
        self.violations = list(violations)


@dataclass
class ServiceError(Exception):
    status: grpc.StatusCode
    message_zh: str
    message_en: str
    violations: Sequence[FieldViolation] = field(default_factory=list)
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.status.name}: {self.message_en}"


def invalid_argument(violations: Sequence[FieldViolation]) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "请求有误：" + "；".join(v.message_zh for v in violations),
        "Invalid request: " + "; ".join(v.message_en for v in violations),
        violations,
        "INVALID_ARGUMENT",
    )


def check_free_text(**texts: str | Sequence[str]) -> None:
    """INVALID_ARGUMENT naming each free-text field (a legal basis, a reason, a note) that
    holds an ID or phone number: free text goes into events, where only masked forms may."""
    from services.shared.pii import personal_numbers

    violations = []
    for name, value in texts.items():
        items = [value] if isinstance(value, str) else list(value)
        if any(personal_numbers(item) for item in items):
            violations.append(
                FieldViolation(
                    name,
                    "PERSONAL_DATA",
                    "不能包含身份证号码或电话号码",
                    "must not contain an ID number or a phone number",
                )
            )
    if violations:
        raise invalid_argument(violations)


def not_found(what_zh: str, what_en: str) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.NOT_FOUND, f"未找到{what_zh}", f"{what_en} not found", reason="NOT_FOUND"
    )


def failed_precondition(message_zh: str, message_en: str, reason: str = "") -> ServiceError:
    return ServiceError(grpc.StatusCode.FAILED_PRECONDITION, message_zh, message_en, reason=reason)


def resource_exhausted(message_zh: str, message_en: str) -> ServiceError:
    """Too much at once (a bounded resource is full): the caller may retry shortly."""
    return ServiceError(
        grpc.StatusCode.RESOURCE_EXHAUSTED, message_zh, message_en, reason="RESOURCE_EXHAUSTED"
    )


def permission_denied(message_zh: str, message_en: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.PERMISSION_DENIED, message_zh, message_en, reason="PERMISSION_DENIED")


def to_status(error: ServiceError) -> grpc.Status:
    details: list[Any] = [
        error_details_pb2.LocalizedMessage(locale=ZH, message=error.message_zh),
        error_details_pb2.LocalizedMessage(locale=EN, message=error.message_en),
    ]
    if error.violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field,
                        reason=v.code,
                        description=v.message_en,
                        localized_message=error_details_pb2.LocalizedMessage(locale=ZH, message=v.message_zh),
                    )
                    for v in error.violations
                ]
            )
        )
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    proto = status_pb2.Status(
        code=getattr(code_pb2, error.status.name),
        message=f"{error.message_zh} / {error.message_en}",
        details=packed,
    )
    status: grpc.Status = rpc_status.to_status(proto)
    return status


F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def nul_fields(message: Message, prefix: str = "") -> list[str]:
    """Paths of the string fields holding a NUL character, which no PostgreSQL text column
    stores: such input is refused at the door, never failed on deep in a query."""
    found: list[str] = []
    for descriptor, value in message.ListFields():
        path = prefix + descriptor.name
        repeated = descriptor.is_repeated
        values = list(value) if repeated else [value]
        if descriptor.type == FieldDescriptor.TYPE_STRING:
            found += [path for v in values if "\x00" in v][:1]
        elif (
            descriptor.type == FieldDescriptor.TYPE_MESSAGE
            and descriptor.message_type is not None
            and not descriptor.message_type.GetOptions().map_entry
        ):
            for v in values:
                found += nul_fields(v, path + ".")
    return found


def grpc_errors(method: F) -> F:
    """Wraps an async servicer method so a ServiceError aborts with its rich status (and
    text with NUL characters is refused before the method runs)."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            if isinstance(request, Message) and (bad := nul_fields(request)):
                raise ValidationFailed(
                    [
                        FieldViolation(
                            f, "NUL_CHARACTER", "文本中不能含有空字符", "text may not contain NUL characters"
                        )
                        for f in bad
                    ]
                )
            return await method(self, request, context)
        except ServiceError as error:
            await context.abort_with_status(to_status(error))
        except ValidationFailed as failed:
            await context.abort_with_status(to_status(invalid_argument(failed.violations)))

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class ParsedError:
    """What a client learns from a failed call."""

    code: grpc.StatusCode
    message_zh: str
    message_en: str
    violations: list[FieldViolation]


def parse_rpc_error(error: grpc.RpcError) -> ParsedError:
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else ""
    parsed = ParsedError(code, details or "", details or "", [])
    status = rpc_status.from_call(error) if hasattr(error, "trailing_metadata") else None
    if status is None:
        return parsed
    messages: dict[str, str] = {}
    violations: list[FieldViolation] = []
    for detail in status.details:
        localized = error_details_pb2.LocalizedMessage()
        bad = error_details_pb2.BadRequest()
        if detail.Is(localized.DESCRIPTOR):
            detail.Unpack(localized)
            messages[localized.locale] = localized.message
        elif detail.Is(bad.DESCRIPTOR):
            detail.Unpack(bad)
            violations += [
                FieldViolation(v.field, v.reason, v.localized_message.message, v.description)
                for v in bad.field_violations
            ]
    return ParsedError(code, messages.get(ZH, status.message), messages.get(EN, status.message), violations)
