"""What anyone may read: the matter catalog, halls, provinces and the consoles'
configuration. (Certificate verification is in gateway/verify.py.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from gateway.context import gateway_of
from gateway.convert import to_json
from services.results.evaluation import LEVELS, TAGS
from tongban.intake.v1 import intake_pb2

router = APIRouter(prefix="/api/v1", tags=["public"])
Province = Annotated[str, Query(pattern=r"^([0-9]{6})?$")]


@router.get("/matters")
async def list_matters(request: Request, q: Annotated[str, Query(max_length=100)] = "",
                       province: Province = "") -> dict[str, Any]:
    """Matters (事项) handled remotely, searched in zh or en, optionally of one province."""
    reply = await gateway_of(request).services.call(
        "intake", "ListMatters", intake_pb2.ListMattersRequest(query=q, province=province))
    return {"matters": [to_json(m) for m in reply.matters if m.remote_window]}


@router.get("/matters/{code}")
async def get_matter(request: Request, code: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    reply = await gateway_of(request).services.call("intake", "GetMatter",
                                                    intake_pb2.GetMatterRequest(code=code))
    return {"matter": to_json(reply.matter)}


@router.get("/halls")
async def list_halls(request: Request, province: Province = "") -> dict[str, Any]:
    reply = await gateway_of(request).services.call("intake", "ListHalls",
                                                    intake_pb2.ListHallsRequest(province=province))
    return {"halls": [to_json(h) for h in reply.halls]}


@router.get("/provinces")
async def list_provinces(request: Request) -> dict[str, Any]:
    reply = await gateway_of(request).services.call("intake", "ListProvinces",
                                                    intake_pb2.ListProvincesRequest())
    return {"provinces": [to_json(p) for p in reply.provinces]}


@router.get("/config")
async def console_config(request: Request) -> dict[str, Any]:
    """What the consoles need to know: ICE servers (none by default), upload limit, the
    rating vocabulary."""
    settings = gateway_of(request).settings
    return {
        "ice_servers": [{"urls": url} for url in settings.ice_servers],
        "max_upload_bytes": settings.max_upload_bytes,
        "evaluation_levels": {str(k): {"zh": zh, "en": en} for k, (zh, en) in LEVELS.items()},
        "evaluation_tags": {k: {"zh": zh, "en": en} for k, (zh, en) in TAGS.items()},
    }
