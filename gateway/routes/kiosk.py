"""The hall kiosk: the device creates an application and gets the applicant's token; with
that token the applicant uploads, submits, waits, joins the video window, confirms, sees
the decision and rates the service. A token opens only its own case."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from gateway import access, tokens, uploads
from gateway.auth import Applicant, KioskDevice
from gateway.context import Gateway, client_of, gateway_of
from gateway.convert import enum_name, to_json
from gateway.errors import ApiError, conflict
from gateway.schemas import (
    CancelRequest,
    ConfirmRequest,
    CreateApplicationRequest,
    EvaluationRequest,
    JoinRequest,
)
from services.shared.catalog import load_catalog
from tongban.intake.v1 import intake_pb2
from tongban.results.v1 import results_pb2
from tongban.routing.v1 import routing_pb2
from tongban.types.v1 import types_pb2
from tongban.window.v1 import window_pb2

router = APIRouter(prefix="/api/v1/kiosk", tags=["kiosk"])
CaseId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{36}$")]
JOIN_TIMEOUT_S = 30.0


@router.get("/device")
async def device(request: Request, device: KioskDevice) -> dict[str, Any]:
    """The hall this kiosk stands in."""
    reply = await gateway_of(request).services.call("intake", "ListHalls", intake_pb2.ListHallsRequest())
    hall = next((to_json(h) for h in reply.halls if h.id == device.hall_id), {"id": device.hall_id})
    return {"hall": hall, "label": device.label}


@router.get("/matters")
async def find_matters(
    request: Request,
    device: KioskDevice,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 8,
) -> dict[str, Any]:
    """The matter finder for this kiosk's hall: words, common names, pinyin and initials,
    English, typos; the province's frequent matters first. An empty `q` gives the quick
    picks (`outcome` "quick_picks"), as does a query that finds nothing ("no_match")."""
    gateway = gateway_of(request)
    hall = load_catalog().hall(device.hall_id)
    counts = await gateway.frequencies.counts(gateway.services, hall.province) if hall else {}
    reply = await gateway.services.call(
        "intake",
        "SearchMatters",
        intake_pb2.SearchMattersRequest(hall_id=device.hall_id, query=q, matter_counts=counts, limit=limit),
    )
    answer = to_json(reply)
    return {
        "outcome": answer["outcome"],
        "matters": [{**hit["matter"], "score": hit["score"]} for hit in answer["hits"]],
    }


@router.post("/applications", status_code=201)
async def create_application(
    request: Request, body: CreateApplicationRequest, device: KioskDevice
) -> dict[str, Any]:
    """Creates the application at the kiosk's own hall and returns the applicant's token
    for this one case, good only from this kiosk. A retry with the same `request_id` from
    the same kiosk returns the same case; the same `request_id` from another kiosk is
    another request (ids are the kiosk's own, not the country's). A kiosk creates at most
    TONGBAN_KIOSK_APPLICATIONS_PER_MINUTE applications a minute (429 after)."""
    gateway = gateway_of(request)
    wait = gateway.limits.applications.take(f"device:{device.id}")
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise ApiError(
            429,
            "too_many_requests",
            f"本终端申请过于频繁，请 {seconds} 秒后再试",
            f"too many applications from this kiosk; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )
    reply = await gateway.services.call(
        "intake",
        "CreateApplication",
        intake_pb2.CreateApplicationRequest(
            request_id=f"{device.id}:{body.request_id}",
            applicant_name=body.applicant_name,
            id_number=body.id_number,
            phone=body.phone,
            hall_id=device.hall_id,
            matter_code=body.matter_code,
            target_province=body.target_province,
            disability=body.disability,
            interpreter=body.interpreter,
            preferred_language=body.preferred_language,
            delivery_method=enum_name(types_pb2.DeliveryMethod.DESCRIPTOR, body.delivery_method),
        ),
    )
    application = reply.application
    ttl = gateway.settings.applicant_token_ttl_s
    token = tokens.issue(gateway.secret, application.case_id, device.hall_id, device.id, ttl)
    await gateway.store.audit(
        f"kiosk:{device.hall_id}", "application_created", application.case_id, client_of(request), device.id
    )
    return {
        "case_id": application.case_id,
        "applicant_token": token,
        "application": access.for_applicant(to_json(application)),
    }


async def _position(gateway: Gateway, case_id: str, province: str) -> dict[str, Any]:
    reply = await gateway.services.call(
        "routing", "GetQueuePosition", routing_pb2.GetQueuePositionRequest(case_id=case_id, province=province)
    )
    shown: dict[str, Any] = access.for_applicant(to_json(reply))
    return shown


@router.get("/cases/{case_id}")
async def get_case(request: Request, case_id: CaseId, grant: Applicant) -> dict[str, Any]:
    """The applicant's own case: the application, its state in results (null until results
    has it) and, while it waits, the queue position."""
    gateway = gateway_of(request)
    application = await access.application(gateway, case_id)
    case = await access.results_case(gateway, case_id)
    position = None
    if application.status == intake_pb2.APPLICATION_STATUS_SUBMITTED:
        try:
            position = await _position(gateway, case_id, application.target_province)
        except ApiError as error:
            if error.status != 503:
                raise
    shown: dict[str, Any] = access.for_applicant(
        {
            "application": to_json(application),
            "case": to_json(case) if case else None,
            "position": position,
        }
    )
    return shown


@router.get("/cases/{case_id}/position")
async def queue_position(request: Request, case_id: CaseId, grant: Applicant) -> dict[str, Any]:
    """Position in the queue (1-based; 0 when no longer waiting) and the estimated wait."""
    gateway = gateway_of(request)
    application = await access.application(gateway, case_id)
    return await _position(gateway, case_id, application.target_province)


@router.post(
    "/cases/{case_id}/materials",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def upload_material(
    request: Request,
    case_id: CaseId,
    grant: Applicant,
    material_code: Annotated[str, Query(min_length=1, max_length=64)],
    source: Annotated[Literal["upload", "document_camera"], Query()] = "upload",
) -> dict[str, Any]:
    """One material (JPEG, PNG or PDF; at most 20 MiB), as multipart/form-data (part
    "file") or as the raw body; a camera snapshot uses source=document_camera."""
    return {"material": await uploads.upload(gateway_of(request), request, case_id, material_code, source)}


@router.post("/cases/{case_id}/submit")
async def submit(request: Request, case_id: CaseId, grant: Applicant) -> dict[str, Any]:
    reply = await gateway_of(request).services.call(
        "intake", "SubmitApplication", intake_pb2.SubmitApplicationRequest(case_id=case_id)
    )
    return {
        "application": access.for_applicant(to_json(reply.application)),
        "accepted_with_deficiency": reply.accepted_with_deficiency,
    }


@router.post("/cases/{case_id}/cancel")
async def cancel(request: Request, case_id: CaseId, grant: Applicant, body: CancelRequest) -> dict[str, Any]:
    reply = await gateway_of(request).services.call(
        "intake",
        "CancelApplication",
        intake_pb2.CancelApplicationRequest(case_id=case_id, reason=body.reason),
    )
    return {"application": access.for_applicant(to_json(reply.application))}


@router.post("/cases/{case_id}/window/join")
async def join_window(
    request: Request, case_id: CaseId, grant: Applicant, body: JoinRequest
) -> dict[str, Any]:
    """Relays the kiosk's SDP offer to the case's window on the applicant's seat; 409 until
    the window is open (it opens when an official accepts the case)."""
    gateway = gateway_of(request)
    existing = await access.case_window(gateway, case_id)
    if existing is None:
        raise conflict("视频窗口尚未开启，请稍候", "the video window is not open yet; please wait")
    if existing.state == "closed":  # only the official may open a case's window again
        raise conflict("视频窗口已关闭", "the video window is closed")
    return await join_seat(gateway, case_id, existing.official_id, types_pb2.SEAT_ROLE_APPLICANT, body.sdp)


async def join_seat(gateway: Gateway, case_id: str, official_id: str, role: int, sdp: str) -> dict[str, Any]:
    """OpenWindow is idempotent per case and hands out fresh seat tokens: the gateway keeps
    them to itself and joins the caller's seat with the caller's offer."""
    opened = (
        await gateway.services.call(
            "window", "OpenWindow", window_pb2.OpenWindowRequest(case_id=case_id, official_id=official_id)
        )
    ).window
    if opened.state == "closed":
        raise conflict("视频窗口已关闭", "the video window is closed")
    seat = next((s for s in opened.seats if s.role == role), None)
    if seat is None:
        raise conflict("该视频窗口没有您的席位", "the window has no seat for you")
    answer = await gateway.services.call(
        "window",
        "Join",
        window_pb2.JoinRequest(window_id=opened.id, join_token=seat.join_token, sdp=sdp),
        timeout=JOIN_TIMEOUT_S,
    )
    return {"window_id": opened.id, "role": to_json(answer)["role"], "sdp": answer.sdp}


@router.post("/cases/{case_id}/confirm")
async def confirm_summary(
    request: Request, case_id: CaseId, grant: Applicant, body: ConfirmRequest
) -> dict[str, Any]:
    """The applicant confirms (or disputes) the official's summary; the official's console
    hears it at once. The window's data channel carries the same message when it is open."""
    gateway = gateway_of(request)
    gateway.hub.notice(case_id, "ApplicantConfirmed", {"confirmed": body.confirmed, "note": body.note})
    await gateway.store.audit(
        f"applicant:{case_id}",
        "summary_confirmed" if body.confirmed else "summary_disputed",
        case_id,
        client_of(request),
        body.note,
    )
    return {"confirmed": body.confirmed}


@router.post("/cases/{case_id}/evaluation", status_code=201)
async def evaluate(
    request: Request, case_id: CaseId, grant: Applicant, body: EvaluationRequest
) -> dict[str, Any]:
    """好差评: 1 (非常不满意) … 5 (非常满意), tags from the vocabulary, once per case."""
    reply = await gateway_of(request).services.call(
        "results",
        "SubmitEvaluation",
        results_pb2.SubmitEvaluationRequest(
            case_id=case_id, level=body.level, tags=body.tags, comment=body.comment
        ),
    )
    return {"rectification_id": reply.rectification_id}


@router.get(
    "/cases/{case_id}/certificate",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def certificate(request: Request, case_id: CaseId, grant: Applicant) -> Response:
    """The electronic certificate (PDF) of an approved case."""
    reply = await gateway_of(request).services.call(
        "results", "GetCertificate", results_pb2.GetCertificateRequest(case_id=case_id)
    )
    safe = "".join(c for c in reply.certificate_number if c.isalnum() or c in "-_") or "certificate"
    return Response(
        reply.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{safe}.pdf"',
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'",
        },
    )
