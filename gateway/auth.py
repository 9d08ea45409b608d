"""Who is calling: staff by session cookie (with a CSRF header on state-changing requests),
a kiosk by its device key, an applicant by the token of their one case *and* the key of
the kiosk that created it.

A staff session is complete only after every step sign-in asks of the account: the second
factor (administrators and supervisors) and a new password (after a reset or the
bootstrap). Until then it reaches the steps' own endpoints (routes/session.py) and nothing
else. Every rule is enforced here, on the server; the consoles only reflect it.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from gateway import tokens
from gateway.accounts import Device, Session
from gateway.context import Gateway, gateway_of
from gateway.errors import ApiError, forbidden, unauthenticated

SESSION_COOKIE = "tongban_session"
CSRF_COOKIE = "tongban_csrf"
CSRF_HEADER = "X-CSRF-Token"
DEVICE_HEADER = "X-Device-Key"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
STAFF = ("official", "supervisor", "operator", "admin")
STAGE_ERRORS = {
    "second_factor": ("second_factor_required", "请先输入动态验证码", "enter your one-time code first"),
    "enrol": ("second_factor_enrolment_required", "请先绑定动态验证码", "enrol a second factor first"),
    "password": ("password_change_required", "请先修改密码", "change your password first"),
}


async def session_of(connection: HTTPConnection) -> Session | None:
    """The session the cookie names, complete or not."""
    token = connection.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 128:
        return None
    return await gateway_of(connection).store.session(token)


async def complete_session_of(connection: HTTPConnection) -> Session | None:
    session = await session_of(connection)
    return session if session is not None and session.complete else None


def same_origin(connection: HTTPConnection) -> bool:
    """A browser names the page's origin; it must be this host (WebSocket hijacking)."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    host = connection.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def check_csrf(request: Request, session: Session) -> None:
    if request.method in SAFE_METHODS:
        return
    presented = request.headers.get(CSRF_HEADER, "")
    if not presented or not hmac.compare_digest(presented.encode(), session.csrf_token.encode()):
        raise ApiError(
            403,
            "csrf",
            "请求缺少有效的防伪令牌（X-CSRF-Token），请刷新页面",
            "missing or wrong X-CSRF-Token; reload the page",
        )


def incomplete(session: Session) -> ApiError:
    code, zh, en = STAGE_ERRORS.get(session.stage, ("unauthenticated", "请先登录", "sign in first"))
    return ApiError(401, code, zh, en)


def staff(*roles: str) -> Callable[[Request], Awaitable[Session]]:
    """A dependency: the signed-in account, complete, holding one of `roles`."""
    allowed = roles or STAFF

    async def dependency(request: Request) -> Session:
        session = await session_of(request)
        if session is None:
            raise unauthenticated()
        check_csrf(request, session)
        if not session.complete:
            raise incomplete(session)
        if session.account.role not in allowed:
            raise forbidden("您的角色无权进行此操作", "your role may not do this")
        return session

    return dependency


def at_stage(*stages: str) -> Callable[[Request], Awaitable[Session]]:
    """A dependency for a sign-in step: a session (CSRF checked) at one of `stages`."""

    async def dependency(request: Request) -> Session:
        session = await session_of(request)
        if session is None:
            raise unauthenticated()
        check_csrf(request, session)
        if session.stage not in stages:
            raise ApiError(
                409, "conflict", "当前登录步骤不需要此操作", "this sign-in step does not ask for this"
            )
        return session

    return dependency


async def any_session(request: Request) -> Session:
    """Signed in, complete or not (what /auth/me and sign-out accept)."""
    session = await session_of(request)
    if session is None:
        raise unauthenticated()
    check_csrf(request, session)
    return session


async def device_of(gateway: Gateway, key: str) -> Device:
    if not key or len(key) > 256:
        raise unauthenticated("终端未授权：缺少设备密钥", "kiosk not authorised: no device key")
    device = await gateway.store.device(key)
    if device is None:
        raise unauthenticated("终端未授权：设备密钥无效", "kiosk not authorised: unknown device key")
    return device


async def kiosk_device(request: Request) -> Device:
    return await device_of(gateway_of(request), request.headers.get(DEVICE_HEADER, ""))


@dataclass(frozen=True)
class ApplicantAtKiosk:
    grant: tokens.ApplicantGrant
    device: Device


def applicant_grant(connection: HTTPConnection, token: str) -> tokens.ApplicantGrant:
    if not token:
        raise unauthenticated("缺少办件凭证", "missing applicant token")
    try:
        return tokens.check(gateway_of(connection).secret, token)
    except tokens.TokenError:
        raise unauthenticated("办件凭证无效或已过期", "the applicant token is invalid or expired") from None


async def applicant_at_kiosk(connection: HTTPConnection, token: str, device_key: str) -> ApplicantAtKiosk:
    """The token's grant, presented from the kiosk that created the case: a token copied
    elsewhere (a proxy log, another kiosk, a phone) opens nothing."""
    grant = applicant_grant(connection, token)
    device = await device_of(gateway_of(connection), device_key)
    if not hmac.compare_digest(grant.device_id.encode(), device.id.encode()):
        raise forbidden(
            "该办件凭证只能在创建它的终端上使用",
            "this applicant token works only on the kiosk that created it",
        )
    return ApplicantAtKiosk(grant, device)


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def applicant(request: Request, case_id: str) -> ApplicantAtKiosk:
    """The bearer token's grant, from its own kiosk; it must be for the case in the path."""
    found = await applicant_at_kiosk(request, bearer_token(request), request.headers.get(DEVICE_HEADER, ""))
    if not hmac.compare_digest(found.grant.case_id.encode(), case_id.encode()):
        raise forbidden("该凭证只能查看本人的办件", "this token is for another case")
    return found


StaffSession = Annotated[Session, Depends(staff())]
AnySession = Annotated[Session, Depends(any_session)]
SecondFactorStep = Annotated[Session, Depends(at_stage("second_factor"))]
EnrolStep = Annotated[Session, Depends(at_stage("enrol"))]
PasswordStep = Annotated[Session, Depends(at_stage("password", "full"))]
OfficialSession = Annotated[Session, Depends(staff("official"))]
CaseReader = Annotated[Session, Depends(staff("official", "supervisor"))]
OperatorSession = Annotated[Session, Depends(staff("operator", "admin"))]
AdminSession = Annotated[Session, Depends(staff("admin"))]
KioskDevice = Annotated[Device, Depends(kiosk_device)]
Applicant = Annotated[ApplicantAtKiosk, Depends(applicant)]
