"""WebSockets: the kiosk follows its case, the official their offers and cases, operators
the whole country's events (filtered). Each connection is one hub subscription; a slow
browser loses events rather than slowing the others.

A refused connection is accepted, told why (`{"kind": "error", ...}`) and closed with 4401
(not signed in) or 4403 (not allowed), so the console can say what is wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from gateway import access
from gateway.accounts import Session
from gateway.auth import applicant_grant, same_origin, session_of
from gateway.context import gateway_of
from gateway.convert import to_json
from gateway.errors import ApiError, bad_request, forbidden, unauthenticated
from gateway.live import LiveEvent, Subscription, operator_filter

router = APIRouter(tags=["live"])
PING_S = 25.0
PROVINCE = re.compile(r"^([0-9]{6})?$")
KIOSK_NOTICES = {"OfficialSummary"}
OFFICIAL_NOTICES = {"ApplicantConfirmed"}


async def refuse(websocket: WebSocket, error: ApiError) -> None:
    await websocket.accept()
    await websocket.send_json(error.body() | {"kind": "error"})
    await websocket.close(
        code=4401
        if error.status == 401
        else 4403
        if error.status == 403
        else 4400
        if error.status < 500
        else 1011
    )


async def pump(websocket: WebSocket, subscription: Subscription) -> None:
    """Sends the subscription's events until the browser goes away; pings when idle."""

    async def until_closed() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return

    closed = asyncio.create_task(until_closed())
    try:
        while not closed.done():
            next_event = asyncio.create_task(subscription.queue.get())
            done, _ = await asyncio.wait(
                {next_event, closed}, timeout=PING_S, return_when=asyncio.FIRST_COMPLETED
            )
            if next_event in done:
                payload = next_event.result().as_json()
                if subscription.dropped:
                    payload["dropped"] = subscription.dropped
                await websocket.send_json(payload)
            else:
                next_event.cancel()
                if not closed.done():
                    await websocket.send_json({"kind": "ping"})
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the browser left while we were sending
    finally:
        closed.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
            await closed
        if websocket.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await websocket.close()


async def staff_socket(websocket: WebSocket, roles: tuple[str, ...]) -> Session | None:
    try:
        if not same_origin(websocket):
            raise forbidden("来源不被允许", "cross-origin WebSocket refused")
        session = await session_of(websocket)
        if session is None:
            raise unauthenticated()
        if session.account.role not in roles:
            raise forbidden("您的角色无权查看此数据流", "your role may not follow this stream")
    except ApiError as error:
        await refuse(websocket, error)
        return None
    return session


@router.websocket("/ws/kiosk")
async def kiosk_socket(websocket: WebSocket, token: str = "") -> None:
    """The applicant's own case: queue position, reservation and assignment, the window
    opening, the official's summary, the decision, the result."""
    try:
        grant = applicant_grant(websocket, token)
    except ApiError as error:
        await refuse(websocket, error)
        return
    gateway = gateway_of(websocket)

    def accepts(event: LiveEvent) -> bool:
        return event.case_id == grant.case_id and (not event.local or event.type in KIOSK_NOTICES)

    with gateway.hub.subscribe(accepts) as subscription:
        await websocket.accept()
        await websocket.send_json({"kind": "hello", "case_id": grant.case_id})
        await pump(websocket, subscription)


@router.websocket("/ws/official")
async def official_socket(websocket: WebSocket) -> None:
    """An official: reservations offered to them (CaseReserved with its expiry), their
    assignments, their presence, and every event of the cases they hold; the applicant's
    confirmation. A supervisor follows their province's routing events."""
    session = await staff_socket(websocket, ("official", "supervisor"))
    if session is None:
        return
    gateway = gateway_of(websocket)
    me, province = session.account.username, session.account.province
    followed: set[str] = set()
    state: dict[str, Any] | None = None
    if session.account.role == "official":
        with contextlib.suppress(ApiError):
            official = await access.routing_official(gateway, session)
            if official is not None:
                state = to_json(official)
                if official.case_id:
                    followed.add(official.case_id)

    def accepts(event: LiveEvent) -> bool:
        if session.account.role == "supervisor":
            return not event.local and province in event.provinces
        if event.data.get("official_id") == me and not event.local:
            if event.case_id:
                followed.add(event.case_id)
            return True
        return event.case_id in followed and (not event.local or event.type in OFFICIAL_NOTICES)

    with gateway.hub.subscribe(accepts) as subscription:
        await websocket.accept()
        await websocket.send_json({"kind": "hello", "user": session.account.public(), "official": state})
        await pump(websocket, subscription)


@router.websocket("/ws/operator")
async def operator_socket(websocket: WebSocket, type: str = "", province: str = "", case: str = "") -> None:
    """Every event, masked as published, filtered by type (substring or topic), province
    (any province field, or the routing key) and case id."""
    session = await staff_socket(websocket, ("operator", "admin"))
    if session is None:
        return
    if len(type) > 64 or len(case) > 64 or not PROVINCE.match(province):
        await refuse(websocket, bad_request("filter", "FORMAT", "过滤条件无效", "invalid filter"))
        return
    gateway = gateway_of(websocket)
    with gateway.hub.subscribe(operator_filter(type, province, case)) as subscription:
        await websocket.accept()
        await websocket.send_json(
            {"kind": "hello", "filters": {"type": type, "province": province, "case": case}}
        )
        await pump(websocket, subscription)
