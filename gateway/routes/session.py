"""Staff sign-in: scrypt-checked passwords, an HttpOnly SameSite=Strict session cookie and
a CSRF token (returned in the body and in a readable cookie, echoed in X-CSRF-Token)."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.accounts import Account
from gateway.auth import CSRF_COOKIE, SESSION_COOKIE, StaffSession
from gateway.context import Gateway, client_of, gateway_of
from gateway.errors import ApiError
from gateway.schemas import LoginRequest
from tongban.routing.v1 import routing_pb2

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _cookies(response: Response, token: str, csrf: str, max_age: int, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/"
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict", secure=secure, path="/"
    )


@router.post("/login")
async def login(request: Request, body: LoginRequest, response: Response) -> dict[str, Any]:
    """Signs a staff member in. After N failed attempts within a minute, for the username or
    from the address, further attempts get 429 until the minute has passed."""
    gateway = gateway_of(request)
    client = client_of(request)
    username = body.username.strip().lower()
    keys = (f"user:{username}", f"addr:{client}")
    wait = gateway.limiter.retry_after(*keys)
    if wait > 0:
        seconds = math.ceil(wait)
        raise ApiError(
            429,
            "too_many_attempts",
            f"登录尝试过于频繁，请 {seconds} 秒后再试",
            f"too many sign-in attempts; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )
    account = await gateway.store.authenticate(username, body.password)
    if account is None:
        gateway.limiter.hit(*keys)
        await gateway.store.audit(username, "login_failed", client=client)
        raise ApiError(401, "bad_credentials", "用户名或密码错误", "wrong username or password")
    settings = gateway.settings
    token, session = await gateway.store.open_session(account, settings.session_ttl_s, client)
    _cookies(response, token, session.csrf_token, int(settings.session_ttl_s), settings.cookie_secure)
    await gateway.store.audit(username, "login", client=client)
    if account.role == "official":
        await register_official(gateway, account)
    return {
        "user": account.public(),
        "csrf_token": session.csrf_token,
        "expires_at": session.expires_at.isoformat(),
    }


async def register_official(gateway: Gateway, account: Account) -> None:
    """Tells the router about the official (idempotent); sign-in works without it."""
    try:
        await gateway.services.call(
            "routing",
            "RegisterOfficial",
            routing_pb2.RegisterOfficialRequest(
                official=routing_pb2.Official(
                    id=account.username,
                    province=account.province,
                    department=account.department,
                    skills=[account.department] if account.department else [],
                    languages=list(account.languages),
                    display_name=account.display_name,
                )
            ),
        )
    except ApiError as error:
        log.warning(
            "official not registered with routing",
            extra={"official": account.username, "error": error.message_en},
        )


@router.post("/logout")
async def logout(request: Request, session: StaffSession, response: Response) -> dict[str, Any]:
    token = request.cookies.get(SESSION_COOKIE, "")
    await gateway_of(request).store.close_session(token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"signed_out": session.account.username}


@router.get("/me")
async def me(session: StaffSession) -> dict[str, Any]:
    """The signed-in account and its CSRF token (for a console reloaded in the browser)."""
    return {
        "user": session.account.public(),
        "csrf_token": session.csrf_token,
        "expires_at": session.expires_at.isoformat(),
    }
