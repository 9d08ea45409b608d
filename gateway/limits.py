"""Pure ASGI middleware: request body limits and the security headers of every response
(HSTS among them outside dev).

A body is refused by its declared Content-Length before anything reads it, and counted as
it streams (chunked requests declare nothing): past the limit, reading raises an HTTP 413
that the error handlers turn into the usual JSON error.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import ApiError

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; "
    "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# The verify page is rendered on the server with its styles inline.
VERIFY_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "too_large",
        f"请求体过大（上限 {limit // 1024} KiB）",
        f"the request body is too large (limit {limit // 1024} KiB)",
    )


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            text = declared.decode("latin-1").strip()
            if not text.isdigit():
                await ApiError(
                    400, "bad_content_length", "Content-Length 无效", "invalid Content-Length"
                ).response()(scope, receive, send)
                return
            if int(text) > limit:
                await too_large(limit).response()(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, "too large")
            return message

        await self.app(scope, counted, send)


HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """CSP, nosniff, no referrer, camera and microphone for this origin only, no caching of
    API answers; outside dev also HSTS (a browser that saw it once never again reaches the
    gateway over plain HTTP, so a network in the middle cannot strip TLS)."""

    def __init__(self, app: ASGIApp, hsts: bool = True) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self)")
                headers.setdefault("Content-Security-Policy", VERIFY_CSP if path == "/verify" else CSP)
                if path.startswith("/api/"):
                    headers.setdefault("Cache-Control", "no-store")
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)
