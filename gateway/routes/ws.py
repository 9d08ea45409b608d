"""WebSockets: the kiosk follows its case, the official their offers and cases, operators
the whole country's events (filtered). Each connection is one hub subscription; a slow
browser loses events rather than slowing the others.

- Credentials never travel in the URL: staff sockets carry the session cookie; the kiosk
  sends `{"kind": "auth", "token", "device_key"}` as its first message (a URL with a token
  is refused, so no client ever leaks one into a proxy's log).
- What a staff socket is sent is decided, event by event, by the rule the REST routes use
  (gateway.access.check_read through StreamAccess).
- A socket ends with what it stands on: sign-out, an account disabled or reset, a kiosk key
  revoked end it at once on this replica (gateway/sockets.py); every CHECK_S it also asks
  the store, for changes made on other replicas and for expiry.

A refused connection is accepted, told why (`{"kind": "error", ...}`) and closed with 4401
(not signed in, or the session ended), 4403 (not allowed) or 4400 (bad request), so the
console can say what is wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from gateway import access
from gateway.accounts import Session
from gateway.auth import applicant_at_kiosk, same_origin, session_of
from gateway.context import gateway_of
from gateway.convert import to_json
from gateway.errors import ApiError, bad_request, forbidden, unauthenticated
from gateway.live import LiveEvent, Subscription, operator_filter
from gateway.sockets import account_key, device_key, session_key

router = APIRouter(tags=["live"])
PING_S = 25.0
CHECK_S = 15.0
AUTH_TIMEOUT_S = 5.0
PROVINCE = re.compile(r"^([0-9]{6})?$")
KIOSK_NOTICES = {"OfficialSummary"}
OFFICIAL_NOTICES = {"ApplicantConfirmed"}
ENDED = ApiError(401, "session_ended", "登录已结束，请重新登录", "the session ended; sign in again")

Visible = Callable[[LiveEvent], Awaitable[bool]]
StillValid = Callable[[], Awaitable[bool]]


def close_code(error: ApiError) -> int:
    if error.status == 401:
        return 4401
    if error.status == 403:
        return 4403
    return 4400 if error.status < 500 else 1011


async def refuse(websocket: WebSocket, error: ApiError) -> None:
    if websocket.application_state == WebSocketState.CONNECTING:
        await websocket.accept()
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await websocket.send_json(error.body() | {"kind": "error"})
        await websocket.close(code=close_code(error))


async def pump(
    websocket: WebSocket,
    subscription: Subscription,
    *,
    visible: Visible | None = None,
    view: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ended: asyncio.Event | None = None,
    still_valid: StillValid | None = None,
) -> None:
    """Sends the subscription's events that are `visible`, as `view` shows them, until the
    browser goes away or what the socket stands on ends (`ended`, or `still_valid`
    answering False at a periodic check); pings when idle."""
    ended = ended or asyncio.Event()

    async def until_closed() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return

    closed = asyncio.create_task(until_closed())
    stopped = asyncio.create_task(ended.wait())
    next_check = time.monotonic() + CHECK_S
    try:
        while not closed.done() and not ended.is_set():
            next_event = asyncio.create_task(subscription.queue.get())
            wait_s = max(0.0, min(PING_S, next_check - time.monotonic()))
            done, _ = await asyncio.wait(
                {next_event, closed, stopped}, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED
            )
            if next_event not in done:
                next_event.cancel()
            if ended.is_set() or closed.done():
                break
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + CHECK_S
                if still_valid is not None and not await still_valid():
                    ended.set()
                    break
            if next_event in done:
                event = next_event.result()
                if visible is not None and not await visible(event):
                    continue
                payload = event.as_json()
                if view is not None:
                    payload = view(payload)
                if subscription.dropped:
                    payload["dropped"] = subscription.dropped
                await websocket.send_json(payload)
            elif not done:
                await websocket.send_json({"kind": "ping"})
        if ended.is_set() and not closed.done():
            await refuse(websocket, ENDED)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the browser left while we were sending
    finally:
        for task in (closed, stopped):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await task
        if websocket.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await websocket.close()


async def staff_socket(websocket: WebSocket, roles: tuple[str, ...]) -> Session | None:
    try:
        if not same_origin(websocket):
            raise forbidden("来源不被允许", "cross-origin WebSocket refused")
        session = await session_of(websocket)
        if session is None or not session.complete:
            raise unauthenticated()
        if session.account.role not in roles:
            raise forbidden("您的角色无权查看此数据流", "your role may not follow this stream")
    except ApiError as error:
        await refuse(websocket, error)
        return None
    return session


def session_check(websocket: WebSocket, session: Session) -> StillValid:
    store = gateway_of(websocket).store

    async def alive() -> bool:
        try:
            return await store.session_alive(session.token_hash)
        except Exception:  # the database away: keep the socket, ask again later
            return True

    return alive


async def kiosk_credentials(websocket: WebSocket) -> tuple[str, str]:
    """(token, device key) from the socket's first message."""
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_S)
        message = json.loads(raw)
    except (TimeoutError, ValueError, KeyError):
        raise unauthenticated("请先发送办件凭证", "send the applicant token first") from None
    if not isinstance(message, dict) or message.get("kind") != "auth":
        raise unauthenticated("请先发送办件凭证", "send the applicant token first")
    token, key = message.get("token"), message.get("device_key")
    if not isinstance(token, str) or not isinstance(key, str) or len(token) > 512 or len(key) > 256:
        raise unauthenticated("办件凭证无效", "invalid applicant credentials")
    return token, key


@router.websocket("/ws/kiosk")
async def kiosk_socket(websocket: WebSocket) -> None:
    """The applicant's own case: queue position, reservation and assignment, the window
    opening, the official's summary, the decision, the result; never who the official is.
    The first message must be `{"kind": "auth", "token": <applicant token>, "device_key":
    <the kiosk's key>}` from the kiosk that created the case."""
    if "token" in websocket.query_params:
        await refuse(
            websocket,
            bad_request(
                "token",
                "NOT_IN_URL",
                "办件凭证不能放在地址中，请在第一条消息中发送",
                "an applicant token never goes in a URL; send it as the first message",
            ),
        )
        return
    await websocket.accept()
    try:
        token, key = await kiosk_credentials(websocket)
        found = await applicant_at_kiosk(websocket, token, key)
    except ApiError as error:
        await refuse(websocket, error)
        return
    except WebSocketDisconnect:
        return
    gateway = gateway_of(websocket)
    grant, device = found.grant, found.device

    def accepts(event: LiveEvent) -> bool:
        return event.case_id == grant.case_id and (not event.local or event.type in KIOSK_NOTICES)

    async def still_valid() -> bool:
        if time.time() > grant.expires:
            return False
        try:
            return await gateway.store.device(key) is not None
        except Exception:
            return True

    with (
        gateway.hub.subscribe(accepts) as subscription,
        gateway.sockets.watch(device_key(device.id)) as ended,
    ):
        await websocket.send_json({"kind": "hello", "case_id": grant.case_id})
        await pump(websocket, subscription, view=access.for_applicant, ended=ended, still_valid=still_valid)


@router.websocket("/ws/official")
async def official_socket(websocket: WebSocket) -> None:
    """An official: their own offers (CaseReserved with its expiry), assignments and
    presence, and the events of cases they may read (those offered or assigned to them);
    a supervisor: the events of their province's cases. Exactly what the REST routes let
    them read (gateway.access.check_read)."""
    session = await staff_socket(websocket, ("official", "supervisor"))
    if session is None:
        return
    gateway = gateway_of(websocket)
    me = session.account.username
    followed: set[str] = set()
    state: dict[str, Any] | None = None
    if session.account.role == "official":
        with contextlib.suppress(ApiError):
            official = await access.routing_official(gateway, session)
            if official is not None:
                state = to_json(official)
                if official.case_id:
                    followed.add(official.case_id)
    rule = access.StreamAccess(gateway, session)

    def accepts(event: LiveEvent) -> bool:
        """What may be for this socket, cheaply; `rule.visible` decides."""
        if event.local and event.type not in OFFICIAL_NOTICES:
            return False
        if session.account.role == "supervisor":
            return bool(event.case_id) and not event.local
        if rule.own_state(event):
            if event.case_id:
                followed.add(event.case_id)
            return True
        return event.case_id in followed

    with (
        gateway.hub.subscribe(accepts) as subscription,
        gateway.sockets.watch(session_key(session.token_hash), account_key(me)) as ended,
    ):
        await websocket.accept()
        await websocket.send_json({"kind": "hello", "user": session.account.public(), "official": state})
        await pump(
            websocket,
            subscription,
            visible=rule.visible,
            ended=ended,
            still_valid=session_check(websocket, session),
        )


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
    with (
        gateway.hub.subscribe(operator_filter(type, province, case)) as subscription,
        gateway.sockets.watch(
            session_key(session.token_hash), account_key(session.account.username)
        ) as ended,
    ):
        await websocket.accept()
        await websocket.send_json(
            {"kind": "hello", "filters": {"type": type, "province": province, "case": case}}
        )
        await pump(websocket, subscription, ended=ended, still_valid=session_check(websocket, session))
