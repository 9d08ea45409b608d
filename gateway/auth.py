"""Who is calling: staff by session cookie (with a CSRF header on state-changing requests),
a kiosk by its device key, an applicant by the token of their one case.

Every rule is enforced here, on the server; the consoles only reflect it.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from gateway import tokens
from gateway.accounts import Device, Session
from gateway.context import gateway_of
from gateway.errors import ApiError, forbidden, unauthenticated

SESSION_COOKIE = "tongban_session"
CSRF_COOKIE = "tongban_csrf"
CSRF_HEADER = "X-CSRF-Token"
DEVICE_HEADER = "X-Device-Key"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
STAFF = ("official", "supervisor", "operator", "admin")


async def session_of(connection: HTTPConnection) -> Session | None:
    token = connection.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 128:
        return None
    return await gateway_of(connection).store.session(token)


def same_origin(connection: HTTPConnection) -> bool:
    """A browser names the page's origin; it must be this host (WebSocket hijacking)."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    host = connection.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def staff(*roles: str) -> Callable[[Request], Awaitable[Session]]:
    """A dependency: the signed-in account, which must hold one of `roles`."""
    allowed = roles or STAFF

    async def dependency(request: Request) -> Session:
        session = await session_of(request)
        if session is None:
            raise unauthenticated()
        if request.method not in SAFE_METHODS:
            presented = request.headers.get(CSRF_HEADER, "")
            if not presented or not hmac.compare_digest(presented.encode(), session.csrf_token.encode()):
                raise ApiError(
                    403,
                    "csrf",
                    "请求缺少有效的防伪令牌（X-CSRF-Token），请刷新页面",
                    "missing or wrong X-CSRF-Token; reload the page",
                )
        if session.account.role not in allowed:
            raise forbidden("您的角色无权进行此操作", "your role may not do this")
        return session

    return dependency


async def kiosk_device(request: Request) -> Device:
    key = request.headers.get(DEVICE_HEADER, "")
    if not key or len(key) > 256:
        raise unauthenticated("终端未授权：缺少设备密钥", "kiosk not authorised: no device key")
    device = await gateway_of(request).store.device(key)
    if device is None:
        raise unauthenticated("终端未授权：设备密钥无效", "kiosk not authorised: unknown device key")
    return device


def applicant_grant(connection: HTTPConnection, token: str) -> tokens.ApplicantGrant:
    if not token:
        raise unauthenticated("缺少办件凭证", "missing applicant token")
    try:
        return tokens.check(gateway_of(connection).secret, token)
    except tokens.TokenError:
        raise unauthenticated("办件凭证无效或已过期", "the applicant token is invalid or expired") from None


async def applicant(request: Request, case_id: str) -> tokens.ApplicantGrant:
    """The bearer token's grant; it must be for the case in the path."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    grant = applicant_grant(request, token.strip() if scheme.lower() == "bearer" else "")
    if not hmac.compare_digest(grant.case_id.encode(), case_id.encode()):
        raise forbidden("该凭证只能查看本人的办件", "this token is for another case")
    return grant


StaffSession = Annotated[Session, Depends(staff())]
OfficialSession = Annotated[Session, Depends(staff("official"))]
CaseReader = Annotated[Session, Depends(staff("official", "supervisor"))]
OperatorSession = Annotated[Session, Depends(staff("operator", "admin"))]
AdminSession = Annotated[Session, Depends(staff("admin"))]
KioskDevice = Annotated[Device, Depends(kiosk_device)]
Applicant = Annotated[tokens.ApplicantGrant, Depends(applicant)]
