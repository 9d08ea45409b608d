"""Every error a browser sees: JSON `{"error": {code, message_zh, message_en, fields}}`.

Services' rich gRPC statuses map to HTTP statuses; request validation, unknown routes and
anything unexpected become the same shape, so no client ever parses an HTML error page.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.shared.errors import parse_rpc_error

log = logging.getLogger(__name__)

SERVICE_ZH = {"intake": "受理服务", "routing": "分派服务", "window": "视频窗口服务", "results": "结果服务"}
RPC_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: (400, "invalid_argument"),
    grpc.StatusCode.OUT_OF_RANGE: (400, "invalid_argument"),
    grpc.StatusCode.NOT_FOUND: (404, "not_found"),
    grpc.StatusCode.FAILED_PRECONDITION: (409, "conflict"),
    grpc.StatusCode.ALREADY_EXISTS: (409, "conflict"),
    grpc.StatusCode.ABORTED: (409, "conflict"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "forbidden"),
    grpc.StatusCode.UNAUTHENTICATED: (403, "forbidden"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "too_many_requests"),
    grpc.StatusCode.UNAVAILABLE: (503, "service_unavailable"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (503, "service_unavailable"),
    grpc.StatusCode.CANCELLED: (503, "service_unavailable"),
}


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message_zh: str
    message_en: str

    def as_json(self) -> dict[str, str]:
        return {
            "field": self.field,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass
class ApiError(Exception):
    status: int
    code: str
    message_zh: str
    message_en: str
    fields: Sequence[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message_en}"

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message_zh": self.message_zh,
                "message_en": self.message_en,
                "fields": [f.as_json() for f in self.fields],
            }
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers or None)


def bad_request(field_name: str, code: str, zh: str, en: str) -> ApiError:
    return ApiError(
        400,
        "invalid_argument",
        "请求有误：" + zh,
        "Invalid request: " + en,
        [FieldError(field_name, code, zh, en)],
    )


def unauthenticated(zh: str = "请先登录", en: str = "sign in first") -> ApiError:
    return ApiError(401, "unauthenticated", zh, en)


def forbidden(zh: str = "无权访问", en: str = "not allowed") -> ApiError:
    return ApiError(403, "forbidden", zh, en)


def not_found(zh: str, en: str) -> ApiError:
    return ApiError(404, "not_found", f"未找到{zh}", f"{en} not found")


def conflict(zh: str, en: str) -> ApiError:
    return ApiError(409, "conflict", zh, en)


def from_rpc(error: grpc.RpcError, service: str) -> ApiError:
    """A failed call to `service` as an HTTP error, keeping the service's zh/en messages."""
    parsed = parse_rpc_error(error)
    status, code = RPC_STATUS.get(parsed.code, (502, "bad_gateway"))
    if status == 503:
        return ApiError(
            503,
            code,
            f"{SERVICE_ZH.get(service, service)}暂时不可用，请稍后再试",
            f"the {service} service is unavailable; try again shortly",
            headers={"Retry-After": "5"},
        )
    if status == 502:
        log.error(
            "unexpected service error %s from %s: %s",
            parsed.code.name,
            service,
            parsed.message_en,
            extra={"service": service, "grpc_code": parsed.code.name},
        )
        return ApiError(502, code, f"{SERVICE_ZH.get(service, service)}出错", f"the {service} service failed")
    fields = [
        FieldError(v.field, v.code, v.message_zh or v.message_en, v.message_en) for v in parsed.violations
    ]
    return ApiError(
        status, code, parsed.message_zh or parsed.message_en, parsed.message_en or parsed.message_zh, fields
    )


# ------------------------------------------------------------------ request validation

VALIDATION_ZH = {
    "missing": "缺少必填项",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "JSON 格式错误",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为 JSON 对象",
    "string_too_long": "文本过长",
    "string_too_short": "文本过短",
    "too_long": "项目过多",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "literal_error": "取值无效",
    "enum": "取值无效",
    "string_pattern_mismatch": "格式不正确",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
    "personal_data": "不能包含身份证号码或电话号码（个人信息只保存在申请中）",
}


def _field_path(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "body")


def validation_error(errors: Sequence[Any]) -> ApiError:
    fields: list[FieldError] = []
    for raw in errors:
        kind = str(raw.get("type", "invalid"))
        if kind == "json_invalid":
            return ApiError(400, "bad_json", "请求体不是有效的 JSON", "the request body is not valid JSON")
        zh = VALIDATION_ZH.get(kind, "取值无效")
        fields.append(FieldError(_field_path(raw.get("loc", ())), kind, zh, str(raw.get("msg", kind))))
    zh_text = "；".join(f"{f.field}：{f.message_zh}" for f in fields)
    en_text = "; ".join(f"{f.field}: {f.message_en}" for f in fields)
    return ApiError(400, "invalid_argument", "请求有误：" + zh_text, "Invalid request: " + en_text, fields)


HTTP_MESSAGES = {
    404: ("not_found", "未找到该地址", "no such address"),
    405: ("method_not_allowed", "不支持该请求方法", "method not allowed"),
    413: ("too_large", "请求体过大", "the request body is too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "unsupported content type"),
}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return error.response()

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        return validation_error(error.errors()).response()

    @app.exception_handler(WebSocketRequestValidationError)
    async def invalid_ws(_: Request, error: WebSocketRequestValidationError) -> JSONResponse:
        return validation_error(error.errors()).response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code, zh, en = HTTP_MESSAGES.get(error.status_code, ("http_error", "请求无法处理", str(error.detail)))
        return ApiError(error.status_code, code, zh, en, headers=dict(error.headers or {})).response()

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return ApiError(
            500, "internal", "服务器内部错误，请稍后再试", "internal error; please try again later"
        ).response()
