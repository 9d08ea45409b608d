"""Administrators: staff accounts over their life (create, disable and enable, reset the
password or the second factor, end the sessions), kiosk device keys (issue, revoke) and
the audit trail. Every change is audited; whatever ends an account's or a kiosk's access
ends its open WebSockets too."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from gateway import passwords
from gateway.accounts import Account
from gateway.auth import AdminSession
from gateway.context import Gateway, client_of, gateway_of
from gateway.errors import ApiError, bad_request, conflict, not_found
from gateway.schemas import AccountStateRequest, CreateAccountRequest, CreateDeviceRequest
from gateway.sockets import account_key, device_key
from tongban.intake.v1 import intake_pb2

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
Username = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]
DeviceId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{36}$")]


def temporary_password() -> str:
    """Shown once to the administrator, changed by its owner at the next sign-in."""
    return "tb-" + secrets.token_urlsafe(15)


async def _account(gateway: Gateway, username: str) -> Account:
    found = await gateway.store.account(username)
    if found is None:
        raise not_found("账户", "account")
    return found


@router.get("/accounts")
async def list_accounts(
    request: Request, session: AdminSession, include_disabled: bool = False
) -> dict[str, Any]:
    accounts = await gateway_of(request).store.accounts(include_disabled=include_disabled)
    return {"accounts": [a.admin_view() for a in accounts]}


@router.post("/accounts", status_code=201)
async def create_account(
    request: Request, session: AdminSession, body: CreateAccountRequest
) -> dict[str, Any]:
    """A new account; unless `must_change_password` is false its owner chooses a password
    of their own at the first sign-in."""
    weak = passwords.weakness(body.password)
    if weak:
        raise bad_request("password", "WEAK", *weak)
    if body.role in ("official", "supervisor") and not body.province:
        raise bad_request("province", "REQUIRED", "工作人员须指定省份", "staff of a province need it")
    gateway = gateway_of(request)
    account = await gateway.store.create_account(
        body.username,
        body.password,
        body.role,
        body.province,
        body.department,
        body.display_name,
        tuple(body.languages) or ("zh",),
        must_change_password=body.must_change_password,
    )
    if account is None:
        raise conflict("用户名已存在", "the username is taken")
    await gateway.store.audit(
        session.account.username,
        "account_created",
        client=client_of(request),
        detail=f"{body.username} {body.role} {body.province}",
    )
    return {"account": account.admin_view()}


@router.post("/accounts/{username}/state")
async def set_account_state(
    request: Request, session: AdminSession, username: Username, body: AccountStateRequest
) -> dict[str, Any]:
    """Disables an account (its sessions and sockets end at once) or enables it again."""
    gateway = gateway_of(request)
    target = await _account(gateway, username)
    if body.disabled and username == session.account.username:
        raise conflict("不能停用自己的账户", "you cannot disable your own account")
    if (
        body.disabled
        and target.role == "admin"
        and not target.disabled
        and await gateway.store.enabled_admins() <= 1
    ):
        raise conflict("不能停用最后一个管理员", "the last enabled administrator cannot be disabled")
    changed = await gateway.store.set_disabled(username, body.disabled)
    assert changed is not None
    if body.disabled:
        gateway.sockets.end(account_key(username))
    await gateway.store.audit(
        session.account.username,
        "account_disabled" if body.disabled else "account_enabled",
        client=client_of(request),
        detail=username,
    )
    return {"account": changed.admin_view()}


@router.post("/accounts/{username}/password-reset")
async def reset_password(request: Request, session: AdminSession, username: Username) -> dict[str, Any]:
    """A temporary password, shown this once, to be changed at the next sign-in; the
    account's sessions end."""
    gateway = gateway_of(request)
    await _account(gateway, username)
    temporary = temporary_password()
    await gateway.store.set_password(username, temporary, must_change=True)
    gateway.sockets.end(account_key(username))
    await gateway.store.audit(
        session.account.username, "password_reset", client=client_of(request), detail=username
    )
    return {"username": username, "temporary_password": temporary}


@router.post("/accounts/{username}/second-factor-reset")
async def reset_second_factor(request: Request, session: AdminSession, username: Username) -> dict[str, Any]:
    """For a lost authenticator: the account enrols a new one at its next sign-in."""
    gateway = gateway_of(request)
    await _account(gateway, username)
    await gateway.store.reset_second_factor(username)
    gateway.sockets.end(account_key(username))
    await gateway.store.audit(
        session.account.username, "second_factor_reset", client=client_of(request), detail=username
    )
    return {"username": username, "two_factor": False}


@router.post("/accounts/{username}/sessions/revoke")
async def revoke_sessions(request: Request, session: AdminSession, username: Username) -> dict[str, Any]:
    """Signs the account out everywhere (the sessions and their sockets)."""
    gateway = gateway_of(request)
    await _account(gateway, username)
    ended = await gateway.store.close_sessions(username)
    gateway.sockets.end(account_key(username))
    await gateway.store.audit(
        session.account.username, "sessions_revoked", client=client_of(request), detail=username
    )
    return {"username": username, "sessions_ended": ended}


@router.get("/devices")
async def list_devices(request: Request, session: AdminSession) -> dict[str, Any]:
    """Every kiosk key issued (never the key itself: only its hash is kept)."""
    return {"devices": [d.public() for d in await gateway_of(request).store.devices()]}


@router.post("/devices", status_code=201)
async def create_device(request: Request, session: AdminSession, body: CreateDeviceRequest) -> dict[str, Any]:
    """A new kiosk key for a hall, shown once (only its hash is kept)."""
    gateway = gateway_of(request)
    halls = await gateway.services.call("intake", "ListHalls", intake_pb2.ListHallsRequest())
    if body.hall_id not in {h.id for h in halls.halls}:
        raise bad_request("hall_id", "UNKNOWN", "服务大厅不存在", "no such hall")
    key = "dk-" + secrets.token_urlsafe(32)
    device = await gateway.store.add_device(body.hall_id, key, body.label)
    if device is None:  # 256 random bits colliding: not in this universe
        raise ApiError(500, "internal", "设备密钥生成失败", "the device key could not be made")
    await gateway.store.audit(
        session.account.username,
        "device_created",
        client=client_of(request),
        detail=f"{device.id} {body.hall_id}",
    )
    return {"device": device.public(), "hall_id": body.hall_id, "device_key": key}


@router.post("/devices/{device_id}/revoke")
async def revoke_device(request: Request, session: AdminSession, device_id: DeviceId) -> dict[str, Any]:
    """The key stops working at once: for the kiosk, for the applicant tokens it handed
    out, for its open sockets. Installing it again (configuration, seeding) does not
    bring it back."""
    gateway = gateway_of(request)
    device = await gateway.store.revoke_device(device_id)
    if device is None:
        raise not_found("终端", "device")
    gateway.sockets.end(device_key(device.id))
    await gateway.store.audit(
        session.account.username,
        "device_revoked",
        client=client_of(request),
        detail=f"{device.id} {device.hall_id}",
    )
    return {"device": device.public()}


@router.get("/audit")
async def audit_trail(
    request: Request,
    session: AdminSession,
    case_id: Annotated[str, Query(max_length=64)] = "",
    actor: Annotated[str, Query(max_length=80)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The newest audit entries, filtered by case, actor or action."""
    entries = await gateway_of(request).store.audit_entries(
        case_id=case_id, actor=actor, action=action, limit=limit
    )
    return {"entries": entries}
