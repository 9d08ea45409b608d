"""Administrators: staff accounts and kiosk device keys."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request

from gateway import passwords
from gateway.auth import AdminSession
from gateway.context import client_of, gateway_of
from gateway.errors import bad_request, conflict
from gateway.schemas import CreateAccountRequest, CreateDeviceRequest
from tongban.intake.v1 import intake_pb2

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.get("/accounts")
async def list_accounts(request: Request, session: AdminSession) -> dict[str, Any]:
    return {"accounts": [a.public() for a in await gateway_of(request).store.accounts()]}


@router.post("/accounts", status_code=201)
async def create_account(
    request: Request, session: AdminSession, body: CreateAccountRequest
) -> dict[str, Any]:
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
    )
    if account is None:
        raise conflict("用户名已存在", "the username is taken")
    await gateway.store.audit(
        session.account.username,
        "account_created",
        client=client_of(request),
        detail=f"{body.username} {body.role} {body.province}",
    )
    return {"account": account.public()}


@router.post("/devices", status_code=201)
async def create_device(request: Request, session: AdminSession, body: CreateDeviceRequest) -> dict[str, Any]:
    """A new kiosk key for a hall, shown once (only its hash is kept)."""
    gateway = gateway_of(request)
    halls = await gateway.services.call("intake", "ListHalls", intake_pb2.ListHallsRequest())
    if body.hall_id not in {h.id for h in halls.halls}:
        raise bad_request("hall_id", "UNKNOWN", "服务大厅不存在", "no such hall")
    key = "dk-" + secrets.token_urlsafe(32)
    await gateway.store.add_device(body.hall_id, key, body.label)
    await gateway.store.audit(
        session.account.username, "device_created", client=client_of(request), detail=body.hall_id
    )
    return {"hall_id": body.hall_id, "device_key": key}
