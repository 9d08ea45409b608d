"""What anyone may read: the matter catalog, halls, provinces and the consoles'
configuration. (Certificate verification is in gateway/verify.py.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from gateway.auth import DEVICE_HEADER, complete_session_of
from gateway.context import gateway_of
from gateway.convert import to_json
from services.shared import turn
from services.shared.rating import LEVELS, TAGS
from tongban.intake.v1 import intake_pb2

router = APIRouter(prefix="/api/v1", tags=["public"])
Province = Annotated[str, Query(pattern=r"^([0-9]{6})?$")]


@router.get("/matters")
async def list_matters(
    request: Request, q: Annotated[str, Query(max_length=100)] = "", province: Province = ""
) -> dict[str, Any]:
    """Matters (事项) handled remotely, searched in zh or en, optionally of one province."""
    reply = await gateway_of(request).services.call(
        "intake", "ListMatters", intake_pb2.ListMattersRequest(query=q, province=province)
    )
    return {"matters": [to_json(m) for m in reply.matters if m.remote_window]}


@router.get("/matters/{code}")
async def get_matter(request: Request, code: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    reply = await gateway_of(request).services.call(
        "intake", "GetMatter", intake_pb2.GetMatterRequest(code=code)
    )
    return {"matter": to_json(reply.matter)}


@router.get("/halls")
async def list_halls(request: Request, province: Province = "") -> dict[str, Any]:
    reply = await gateway_of(request).services.call(
        "intake", "ListHalls", intake_pb2.ListHallsRequest(province=province)
    )
    return {"halls": [to_json(h) for h in reply.halls]}


@router.get("/provinces")
async def list_provinces(request: Request) -> dict[str, Any]:
    reply = await gateway_of(request).services.call(
        "intake", "ListProvinces", intake_pb2.ListProvincesRequest()
    )
    return {"provinces": [to_json(p) for p in reply.provinces]}


async def caller_name(request: Request) -> str | None:
    """Who asks, if anyone we know: a signed-in staff member or a kiosk by its device key
    (the name goes into the TURN username, for TURN's logs). An applicant asks through
    their kiosk, which sends its key."""
    gateway = gateway_of(request)
    session = await complete_session_of(request)
    if session is not None:
        return session.account.username
    key = request.headers.get(DEVICE_HEADER, "")
    if key and len(key) <= 256:
        device = await gateway.store.device(key)
        if device is not None:
            return device.hall_id
    return None


@router.get("/config")
async def console_config(request: Request) -> dict[str, Any]:
    """What the consoles need to know: ICE servers (none by default; a signed-in console,
    a kiosk or an applicant also gets a fresh TURN credential), upload limit, the rating
    vocabulary."""
    settings = gateway_of(request).settings
    who = await caller_name(request) if settings.turn_secret else None
    return {
        "kiosk_idle_s": settings.kiosk_idle_s,
        "ice_servers": turn.ice_servers(
            settings.ice_servers, settings.turn_secret if who else "", who or "", settings.turn_ttl_s
        ),
        "max_upload_bytes": settings.max_upload_bytes,
        "evaluation_levels": {str(k): {"zh": zh, "en": en} for k, (zh, en) in LEVELS.items()},
        "evaluation_tags": {k: {"zh": zh, "en": en} for k, (zh, en) in TAGS.items()},
    }
