"""The official's console: presence, the offered reservation, the case and its materials,
the video window, the decision and the wrap-up. Identity (official id, province) always
comes from the session, never from the request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from gateway import access
from gateway.accounts import Session
from gateway.auth import CaseReader, OfficialSession
from gateway.context import Gateway, client_of, gateway_of
from gateway.convert import enum_name, to_json
from gateway.errors import not_found
from gateway.routes.kiosk import join_seat
from gateway.routes.session import register_official
from gateway.schemas import (
    DecisionRequest,
    JoinRequest,
    PresenceRequest,
    RejectRequest,
    SummaryRequest,
)
from tongban.intake.v1 import intake_pb2
from tongban.results.v1 import results_pb2
from tongban.routing.v1 import routing_pb2
from tongban.types.v1 import types_pb2
from tongban.window.v1 import window_pb2

router = APIRouter(prefix="/api/v1/official", tags=["official"])
CaseId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{36}$")]
ReservationId = Annotated[str, Path(min_length=1, max_length=64)]
VIEWABLE = {"image/jpeg", "image/png", "application/pdf"}


def _identity(session: Session) -> dict[str, str]:
    return {"official_id": session.account.username, "province": session.account.province}


@router.get("/me")
async def me(request: Request, session: OfficialSession) -> dict[str, Any]:
    """The official as the router sees them: presence, and any reservation offered (with
    its expiry in unix seconds) or case assigned."""
    gateway = gateway_of(request)
    official = await access.routing_official(gateway, session)
    if official is None:
        await register_official(gateway, session.account)
        official = await access.routing_official(gateway, session)
    return {"user": session.account.public(), "official": to_json(official) if official is not None else None}


@router.post("/presence")
async def set_presence(request: Request, session: OfficialSession, body: PresenceRequest) -> dict[str, Any]:
    """AVAILABLE, AWAY (with a reason) or OFFLINE; BUSY and WRAP_UP are the router's."""
    gateway = gateway_of(request)
    await register_official(gateway, session.account)
    reply = await gateway.services.call(
        "routing",
        "SetPresence",
        routing_pb2.SetPresenceRequest(
            **_identity(session),
            presence=enum_name(types_pb2.Presence.DESCRIPTOR, body.presence),
            reason=body.reason,
        ),
    )
    return {"official": to_json(reply.official)}


@router.post("/reservations/{reservation_id}/accept")
async def accept(request: Request, session: OfficialSession, reservation_id: ReservationId) -> dict[str, Any]:
    gateway = gateway_of(request)
    reply = await gateway.services.call(
        "routing",
        "AcceptReservation",
        routing_pb2.AcceptReservationRequest(**_identity(session), reservation_id=reservation_id),
    )
    await gateway.store.audit(
        session.account.username, "reservation_accepted", reply.case_id, client_of(request), reservation_id
    )
    return {"case_id": reply.case_id}


@router.post("/reservations/{reservation_id}/reject")
async def reject(
    request: Request, session: OfficialSession, reservation_id: ReservationId, body: RejectRequest
) -> dict[str, Any]:
    gateway = gateway_of(request)
    await gateway.services.call(
        "routing",
        "RejectReservation",
        routing_pb2.RejectReservationRequest(
            **_identity(session), reservation_id=reservation_id, reason=body.reason
        ),
    )
    await gateway.store.audit(
        session.account.username,
        "reservation_rejected",
        "",
        client_of(request),
        f"{reservation_id} {body.reason}",
    )
    return {"rejected": reservation_id}


@router.get("/cases")
async def my_cases(
    request: Request,
    session: CaseReader,
    status: Annotated[str, Query(max_length=32)] = "",
    page_token: Annotated[str, Query(max_length=200)] = "",
) -> dict[str, Any]:
    """An official's own cases; a supervisor's whole province."""
    account = session.account
    reply = await gateway_of(request).services.call(
        "results",
        "SearchCases",
        results_pb2.SearchCasesRequest(
            target_province=account.province,
            status=status,
            page_size=50,
            page_token=page_token,
            official_id=account.username if account.role == "official" else "",
        ),
    )
    return {"cases": [to_json(c) for c in reply.cases], "next_page_token": reply.next_page_token}


@router.get("/cases/{case_id}")
async def case_details(request: Request, session: CaseReader, case_id: CaseId) -> dict[str, Any]:
    """The application (materials listed), its matter and its state in results. Every
    read is audited (who, which case, from where)."""
    gateway = gateway_of(request)
    application = await access.readable_case(gateway, session, case_id)
    await gateway.store.audit(session.account.username, "case_viewed", case_id, client_of(request))
    case = await access.results_case(gateway, case_id)
    matter = (
        await gateway.services.call(
            "intake", "GetMatter", intake_pb2.GetMatterRequest(code=application.matter_code)
        )
    ).matter
    return {
        "application": to_json(application),
        "matter": to_json(matter),
        "case": to_json(case) if case else None,
    }


@router.get(
    "/cases/{case_id}/materials/{material_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "application/pdf": {}}}},
)
async def material(
    request: Request,
    session: CaseReader,
    case_id: CaseId,
    material_id: Annotated[str, Path(min_length=1, max_length=64)],
) -> Response:
    """A material's bytes, shown inline (images and PDFs only, never sniffed as HTML)."""
    gateway = gateway_of(request)
    await access.readable_case(gateway, session, case_id)
    reply = await gateway.services.call(
        "intake",
        "GetMaterial",
        intake_pb2.GetMaterialRequest(case_id=case_id, material_id=material_id),
        timeout=30.0,
    )
    kind = reply.material.content_type
    if kind not in VIEWABLE:
        raise not_found("可查看的材料", "viewable material")
    await gateway.store.audit(
        session.account.username, "material_viewed", case_id, client_of(request), material_id
    )
    return Response(
        reply.data,
        media_type=kind,
        headers={
            "Content-Disposition": f'inline; filename="{reply.material.code}"',
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; frame-ancestors 'self'",
        },
    )


@router.post("/cases/{case_id}/window/join")
async def join_window(
    request: Request, session: OfficialSession, case_id: CaseId, body: JoinRequest
) -> dict[str, Any]:
    """Relays the official's SDP offer to the case's window (opened if it is not yet)."""
    gateway = gateway_of(request)
    await access.actionable_case(gateway, session, case_id)
    return await join_seat(gateway, case_id, session.account.username, types_pb2.SEAT_ROLE_OFFICIAL, body.sdp)


@router.post("/cases/{case_id}/summary")
async def send_summary(
    request: Request, session: OfficialSession, case_id: CaseId, body: SummaryRequest
) -> dict[str, Any]:
    """The summary the applicant is asked to confirm, pushed to the kiosk at once."""
    gateway = gateway_of(request)
    await access.actionable_case(gateway, session, case_id)
    gateway.hub.notice(case_id, "OfficialSummary", {"summary": body.summary})
    await gateway.store.audit(session.account.username, "summary_sent", case_id, client_of(request))
    return {"sent": True}


@router.post("/cases/{case_id}/decision")
async def decide(
    request: Request, session: OfficialSession, case_id: CaseId, body: DecisionRequest
) -> dict[str, Any]:
    """Approve, reject (reason and legal basis), 补正 (materials to supply) or transfer."""
    gateway = gateway_of(request)
    await access.actionable_case(gateway, session, case_id)
    reply = await gateway.services.call(
        "results",
        "RecordDecision",
        results_pb2.RecordDecisionRequest(
            case_id=case_id,
            **_identity(session),
            outcome=enum_name(types_pb2.DecisionOutcome.DESCRIPTOR, body.outcome),
            result_kind=body.result_kind,
            reason_code=body.reason_code,
            legal_basis=body.legal_basis,
            supplements=body.supplements,
            transfer_to=body.transfer_to,
            delivery_method=enum_name(types_pb2.DeliveryMethod.DESCRIPTOR, body.delivery_method),
            mail_address=body.mail_address,
        ),
    )
    await gateway.store.audit(
        session.account.username, "decision_" + body.outcome, case_id, client_of(request)
    )
    return {"case": to_json(reply.case)}


async def _close_window(gateway: Gateway, case_id: str) -> dict[str, Any] | None:
    found = await access.case_window(gateway, case_id)
    if found is None:
        return None
    if found.state == "closed":
        return to_json(found)
    closed = await gateway.services.call(
        "window", "CloseWindow", window_pb2.CloseWindowRequest(window_id=found.id, reason="completed")
    )
    return to_json(closed.window)


@router.post("/cases/{case_id}/finish")
async def finish(request: Request, session: OfficialSession, case_id: CaseId) -> dict[str, Any]:
    """Wrap-up: closes the window (recording kept) and tells the router the case is done."""
    gateway = gateway_of(request)
    await access.actionable_case(gateway, session, case_id)
    window = await _close_window(gateway, case_id)
    await gateway.services.call(
        "routing", "FinishCase", routing_pb2.FinishCaseRequest(**_identity(session), case_id=case_id)
    )
    await gateway.store.audit(session.account.username, "case_finished", case_id, client_of(request))
    return {"finished": case_id, "window": window}
