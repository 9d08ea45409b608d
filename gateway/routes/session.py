"""Staff sign-in: scrypt-checked passwords, an HttpOnly SameSite=Strict session cookie and
a CSRF token (returned in the body and in a readable cookie, echoed in X-CSRF-Token); for
administrators and supervisors a second factor (TOTP, gateway/totp.py), enrolled at their
first sign-in; a new password where one is due.

A sign-in walks through stages: the password opens a session at its first pending step
("second_factor" or "enrol", then "password"), each step replaces the session with one at
the next stage (a new cookie: a token seen before a step is worth nothing after it), and
only a "full" session reaches the API. `stage` in every answer says where it stands.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway import passwords, totp
from gateway.accounts import Account, Session
from gateway.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AnySession,
    EnrolStep,
    PasswordStep,
    SecondFactorStep,
    StaffSession,
)
from gateway.context import Gateway, client_of, gateway_of
from gateway.errors import ApiError, bad_request, unauthenticated
from gateway.schemas import LoginRequest, PasswordChangeRequest, SecondFactorRequest, TotpConfirmRequest
from gateway.sockets import account_key, session_key
from tongban.routing.v1 import routing_pb2

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
PENDING_TTL_S = 600.0  # a sign-in step must be finished within ten minutes


def first_stage(account: Account) -> str:
    if account.role in totp.REQUIRED_ROLES:
        return "second_factor" if account.two_factor else "enrol"
    return "password" if account.must_change_password else "full"


def stage_after(account: Account, stage: str) -> str:
    if stage in ("second_factor", "enrol") and account.must_change_password:
        return "password"
    return "full"


def _cookies(response: Response, token: str, csrf: str, max_age: int, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/"
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict", secure=secure, path="/"
    )


def _body(session: Session) -> dict[str, Any]:
    return {
        "user": session.account.public(),
        "csrf_token": session.csrf_token,
        "expires_at": session.expires_at.isoformat(),
        "stage": session.stage,
    }


def _too_many(wait: float, what_zh: str, what_en: str) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(
        429,
        "too_many_attempts",
        f"{what_zh}过于频繁，请 {seconds} 秒后再试",
        f"too many {what_en}; try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


async def _open(
    gateway: Gateway, request: Request, response: Response, account: Account, stage: str
) -> Session:
    """A session at `stage` for `account`, its cookies set; a complete one is announced."""
    settings = gateway.settings
    ttl = settings.session_ttl_s if stage == "full" else min(PENDING_TTL_S, settings.session_ttl_s)
    token, session = await gateway.store.open_session(account, ttl, client_of(request), stage)
    _cookies(response, token, session.csrf_token, int(ttl), settings.secure_cookies)
    if stage == "full":
        await gateway.store.audit(account.username, "login", client=client_of(request))
        if account.role == "official":
            await register_official(gateway, account)
    return session


async def _advance(gateway: Gateway, request: Request, response: Response, session: Session) -> Session:
    """Replaces a session that finished its step by one at the next stage."""
    await gateway.store.close_session(request.cookies.get(SESSION_COOKIE, ""))
    account = await gateway.store.account(session.account.username) or session.account
    return await _open(gateway, request, response, account, stage_after(account, session.stage))


@router.post("/login")
async def login(request: Request, body: LoginRequest, response: Response) -> dict[str, Any]:
    """Checks the password. Failures slow down the one who fails: after a few from one
    address for one username, each further attempt from there waits twice as long as the
    last (429 with Retry-After); the account itself is never locked, so its owner, from
    elsewhere, signs in as usual. The answer's `stage` says what sign-in still needs."""
    gateway = gateway_of(request)
    client = client_of(request)
    username = body.username.strip().lower()
    pair, address = f"{username}|{client}", client
    limits = gateway.limits
    wait = max(limits.sign_in.wait(pair), limits.sign_in_address.wait(address))
    if wait > 0:
        raise _too_many(wait, "登录尝试", "sign-in attempts")
    account = await gateway.store.authenticate(username, body.password)
    if account is None:
        limits.sign_in.failed(pair)
        limits.sign_in_address.failed(address)
        await gateway.store.audit(username, "login_failed", client=client)
        raise ApiError(401, "bad_credentials", "用户名或密码错误", "wrong username or password")
    limits.sign_in.succeeded(pair)
    stage = first_stage(account)
    if stage != "full":
        await gateway.store.audit(username, "login_password_ok", client=client, detail=stage)
    return _body(await _open(gateway, request, response, account, stage))


def _opened(gateway: Gateway, sealed: bytes, username: str) -> bytes:
    try:
        return gateway.sealer.open(sealed, username)
    except totp.SealError:
        log.error("TOTP key unreadable (was TONGBAN_SESSION_SECRET changed?)", extra={"user": username})
        raise ApiError(
            409,
            "second_factor_unreadable",
            "动态验证码无法校验，请联系管理员重置",
            "the second factor cannot be checked; ask an administrator to reset it",
        ) from None


def _second_factor_gate(gateway: Gateway, request: Request, username: str) -> None:
    limits = gateway.limits
    wait = max(
        limits.second_factor.wait(f"{username}|{client_of(request)}"),
        limits.second_factor_account.wait(username),
    )
    if wait > 0:
        raise _too_many(wait, "验证码尝试", "one-time code attempts")


async def _refused_code(gateway: Gateway, request: Request, username: str, action: str) -> ApiError:
    gateway.limits.second_factor.failed(f"{username}|{client_of(request)}")
    gateway.limits.second_factor_account.failed(username)
    await gateway.store.audit(username, action, client=client_of(request))
    return ApiError(401, "bad_second_factor", "验证码错误或已使用", "wrong or already used code")


def _code_accepted(gateway: Gateway, request: Request, username: str) -> None:
    gateway.limits.second_factor.succeeded(f"{username}|{client_of(request)}")
    gateway.limits.second_factor_account.succeeded(username)


@router.post("/second-factor")
async def second_factor(
    request: Request,
    body: SecondFactorRequest,
    response: Response,
    session: SecondFactorStep,
) -> dict[str, Any]:
    """The code the authenticator shows now (`code`), or one of the recovery codes
    (`recovery_code`, each good once). Wrong codes slow down like wrong passwords."""
    gateway = gateway_of(request)
    username = session.account.username
    _second_factor_gate(gateway, request, username)
    state = await gateway.store.totp_state(username)
    if state is None or state.sealed is None:
        raise unauthenticated()
    used_recovery = False
    if body.code:
        key = _opened(gateway, state.sealed, username)
        step = totp.accepted_step(key, body.code, state.last_step)
        ok = step is not None and await gateway.store.use_step(username, step)
    elif body.recovery_code:
        code_hash = gateway.sealer.recovery_hash(username, body.recovery_code)
        ok = used_recovery = await gateway.store.use_recovery_code(username, code_hash)
    else:
        raise bad_request("code", "REQUIRED", "请输入验证码", "enter a code")
    if not ok:
        raise await _refused_code(gateway, request, username, "second_factor_failed")
    _code_accepted(gateway, request, username)
    if used_recovery:
        await gateway.store.audit(username, "recovery_code_used", client=client_of(request))
    answer = _body(await _advance(gateway, request, response, session))
    if used_recovery:
        answer["recovery_codes_left"] = await gateway.store.recovery_codes_left(username)
    return answer


@router.post("/second-factor/enrol")
async def enrol(request: Request, session: EnrolStep) -> dict[str, Any]:
    """A new TOTP key for this account, to be scanned (`qr_svg`, `uri`) or typed
    (`secret`) into an authenticator app; it counts once a code from it is confirmed."""
    gateway = gateway_of(request)
    username = session.account.username
    key = totp.new_key()
    await gateway.store.begin_enrolment(username, gateway.sealer.seal(key, username))
    uri = totp.provisioning_uri(key, username)
    return {"secret": totp.secret_text(key), "uri": uri, "qr_svg": totp.qr_svg(uri)}


@router.post("/second-factor/confirm")
async def confirm_enrolment(
    request: Request,
    body: TotpConfirmRequest,
    response: Response,
    session: EnrolStep,
) -> dict[str, Any]:
    """A code from the new key completes enrolment; the answer carries the recovery codes,
    shown this once."""
    gateway = gateway_of(request)
    username = session.account.username
    _second_factor_gate(gateway, request, username)
    state = await gateway.store.totp_state(username)
    if state is None or state.pending is None:
        raise ApiError(409, "conflict", "请先获取新的密钥", "ask for a new key first")
    step = totp.accepted_step(_opened(gateway, state.pending, username), body.code, 0)
    if step is None:
        raise await _refused_code(gateway, request, username, "second_factor_enrol_failed")
    codes = totp.recovery_codes()
    hashes = [gateway.sealer.recovery_hash(username, c) for c in codes]
    if not await gateway.store.complete_enrolment(username, state.pending, step, hashes):
        raise ApiError(409, "conflict", "密钥已变更，请重新绑定", "the key changed meanwhile; enrol again")
    _code_accepted(gateway, request, username)
    await gateway.store.audit(username, "second_factor_enrolled", client=client_of(request))
    return _body(await _advance(gateway, request, response, session)) | {"recovery_codes": codes}


@router.post("/password")
async def change_password(
    request: Request,
    body: PasswordChangeRequest,
    response: Response,
    session: PasswordStep,
) -> dict[str, Any]:
    """A new password (the current one confirms it's you). Every other session of the
    account ends; this one goes on."""
    gateway = gateway_of(request)
    username, client = session.account.username, client_of(request)
    pair = f"{username}|{client}"
    wait = gateway.limits.sign_in.wait(pair)
    if wait > 0:
        raise _too_many(wait, "登录尝试", "sign-in attempts")
    if await gateway.store.authenticate(username, body.current_password) is None:
        gateway.limits.sign_in.failed(pair)
        await gateway.store.audit(username, "password_change_failed", client=client)
        raise ApiError(401, "bad_credentials", "当前密码错误", "the current password is wrong")
    weak = passwords.weakness(body.new_password)
    if weak:
        raise bad_request("new_password", "WEAK", *weak)
    if body.new_password == body.current_password:
        raise bad_request(
            "new_password", "UNCHANGED", "新密码不能与当前密码相同", "choose a different password"
        )
    await gateway.store.set_password(username, body.new_password, must_change=False)
    gateway.sockets.end(account_key(username))
    await gateway.store.audit(username, "password_changed", client=client)
    account = await gateway.store.account(username) or session.account
    return _body(await _open(gateway, request, response, account, "full"))


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
async def logout(request: Request, session: AnySession, response: Response) -> dict[str, Any]:
    """Ends the session, and with it every WebSocket it opened."""
    gateway = gateway_of(request)
    await gateway.store.close_session(request.cookies.get(SESSION_COOKIE, ""))
    gateway.sockets.end(session_key(session.token_hash))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"signed_out": session.account.username}


@router.get("/me")
async def me(session: StaffSession) -> dict[str, Any]:
    """The signed-in account and its CSRF token (for a console reloaded in the browser);
    401 while a sign-in step is pending (the code says which), so the console asks for
    the password again."""
    return _body(session)
