"""The public certificate verify page: anyone holding an electronic certificate (or its QR
code) can check that its number and hash are genuine. No login; only masked data is shown.
Each address may check TONGBAN_VERIFY_PER_MINUTE times a minute (429 after), so nobody
walks the certificate numbers for the masked holders."""

from __future__ import annotations

import html
import math

import grpc
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from gateway.config import GatewaySettings
from gateway.context import client_of
from gateway.errors import ApiError, from_rpc
from gateway.ratelimit import SlidingWindow
from tongban.results.v1 import results_pb2, results_pb2_grpc

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>电子证明核验 Certificate check</title>
<style>body{{font:24px/1.5 sans-serif;max-width:40em;margin:2em auto;padding:0 1em}}
.ok{{color:#05620b}}.bad{{color:#a00000}}input{{font-size:22px;width:100%;margin:.3em 0}}
button{{font-size:24px;min-height:64px;padding:0 1.5em}}</style></head><body>
<h1>电子证明核验 <small>Certificate check</small></h1>{result}
<form method="get" action="/verify">
<label>证明编号 Certificate No. <input name="n" id="number" value="{number}"></label>
<label>校验码 Verification hash <input name="h" id="hash" value="{digest}"></label>
<button type="submit" id="check">核验 Check</button></form></body></html>"""


def too_many_checks(request: Request, checks: SlidingWindow) -> ApiError | None:
    """Counts a check for the caller's address; the refusal if it has checked too often."""
    wait = checks.take(f"addr:{client_of(request)}")
    if wait <= 0:
        return None
    seconds = max(1, math.ceil(wait))
    return ApiError(
        429,
        "too_many_requests",
        f"核验过于频繁，请 {seconds} 秒后再试",
        f"too many checks; try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


def router(settings: GatewaySettings) -> APIRouter:
    routes = APIRouter()
    checks = SlidingWindow(settings.verify_per_minute)  # this app's, started or not

    async def verify(number: str, digest: str) -> results_pb2.VerifyCertificateResponse:
        async with grpc.aio.insecure_channel(settings.results_addr) as channel:
            stub = results_pb2_grpc.ResultsServiceStub(channel)
            reply: results_pb2.VerifyCertificateResponse = await stub.VerifyCertificate(
                results_pb2.VerifyCertificateRequest(certificate_number=number, hash=digest), timeout=5
            )
            return reply

    @routes.get("/verify", response_class=HTMLResponse, tags=["public"])
    async def verify_page(
        request: Request, n: str = Query("", max_length=64), h: str = Query("", max_length=128)
    ) -> HTMLResponse:
        """The page the certificate's QR code opens."""
        result = ""
        status = 200
        if n and h:
            refused = too_many_checks(request, checks)
            if refused is not None:
                return HTMLResponse(
                    PAGE.format(
                        result=f'<p class="bad">{html.escape(refused.message_zh)} / '
                        f"{html.escape(refused.message_en)}</p>",
                        number=html.escape(n),
                        digest=html.escape(h),
                    ),
                    status_code=429,
                    headers=refused.headers,
                )
            try:
                reply = await verify(n, h)
            except grpc.aio.AioRpcError:
                return HTMLResponse(
                    PAGE.format(
                        result='<p class="bad">核验服务暂不可用 / The check is unavailable now.</p>',
                        number=html.escape(n),
                        digest=html.escape(h),
                    ),
                    status_code=503,
                )
            if reply.genuine:
                result = (
                    f'<p class="ok" id="verdict">真实有效 / Genuine: {html.escape(reply.holder)}, '
                    f"{html.escape(reply.matter_code)}, {html.escape(reply.province)}, "
                    f"{html.escape(reply.issued_on)}</p>"
                )
            else:
                result = (
                    '<p class="bad" id="verdict">未通过核验 / Not genuine: the number and '
                    "hash do not match a certificate we issued.</p>"
                )
        return HTMLResponse(
            PAGE.format(result=result, number=html.escape(n), digest=html.escape(h)), status_code=status
        )

    @routes.get("/api/v1/certificates/verify", tags=["public"])
    async def verify_json(
        request: Request, n: str = Query(..., max_length=64), h: str = Query(..., max_length=128)
    ) -> JSONResponse:
        refused = too_many_checks(request, checks)
        if refused is not None:
            return refused.response()
        try:
            reply = await verify(n, h)
        except grpc.aio.AioRpcError as error:
            return from_rpc(error, "results").response()
        return JSONResponse(
            {
                "genuine": reply.genuine,
                "holder": reply.holder,
                "matter_code": reply.matter_code,
                "province": reply.province,
                "issued_on": reply.issued_on,
            }
        )

    return routes
