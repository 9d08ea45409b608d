"""Which staff may see and act on which case, checked against the services themselves:
intake says whose province a case belongs to, routing and results say who holds it.

- official: cases of their province that are offered to them (read) or assigned to them
  (read and act), now or before (results remembers the assigned official);
- supervisor: every case of their province, read only;
- operator, admin: every case, personal data masked (see `masked`).
"""

from __future__ import annotations

from typing import Any

from gateway.accounts import Session
from gateway.context import Gateway
from gateway.errors import ApiError, forbidden
from services.shared import pii
from tongban.intake.v1 import intake_pb2
from tongban.results.v1 import results_pb2
from tongban.routing.v1 import routing_pb2
from tongban.window.v1 import window_pb2


async def application(gateway: Gateway, case_id: str) -> intake_pb2.Application:
    reply = await gateway.services.call(
        "intake", "GetApplication", intake_pb2.GetApplicationRequest(case_id=case_id)
    )
    result: intake_pb2.Application = reply.application
    return result


async def results_case(gateway: Gateway, case_id: str) -> results_pb2.Case | None:
    """The case as results knows it; None until its projection has the case."""
    try:
        reply = await gateway.services.call("results", "GetCase", results_pb2.GetCaseRequest(case_id=case_id))
    except ApiError as error:
        if error.status == 404:
            return None
        raise
    case: results_pb2.Case = reply.case
    return case


async def case_window(gateway: Gateway, case_id: str) -> window_pb2.Window | None:
    """The case's window as the window service knows it (open or closed); None if it never
    had one."""
    try:
        reply = await gateway.services.call(
            "window", "GetWindow", window_pb2.GetWindowRequest(case_id=case_id)
        )
    except ApiError as error:
        if error.status == 404:
            return None
        raise
    window: window_pb2.Window = reply.window
    return window


async def routing_official(gateway: Gateway, session: Session) -> routing_pb2.Official | None:
    account = session.account
    try:
        reply = await gateway.services.call(
            "routing",
            "GetOfficial",
            routing_pb2.GetOfficialRequest(official_id=account.username, province=account.province),
        )
    except ApiError as error:
        if error.status in (400, 404):  # not registered with the router yet
            return None
        raise
    official: routing_pb2.Official = reply.official
    return official


def _other_province() -> ApiError:
    return forbidden("该案件不属于您所在的省份", "this case belongs to another province")


async def _holds(gateway: Gateway, session: Session, case_id: str, offered_is_enough: bool) -> bool:
    try:
        official = await routing_official(gateway, session)
    except ApiError as error:
        if error.status != 503:
            raise
        official = None  # results alone can still vouch for an assignment
    if (
        official is not None
        and official.case_id == case_id
        and (offered_is_enough or not official.reservation_id)
    ):
        return True
    case = await results_case(gateway, case_id)
    return case is not None and case.official_id == session.account.username


async def readable_case(gateway: Gateway, session: Session, case_id: str) -> intake_pb2.Application:
    """The application, if `session` may read it; 403 otherwise (404 if there is none)."""
    found = await application(gateway, case_id)
    account = session.account
    if account.role in ("operator", "admin"):
        return found
    if found.target_province != account.province:
        raise _other_province()
    if account.role == "supervisor":
        return found
    if not await _holds(gateway, session, case_id, offered_is_enough=True):
        raise forbidden("该案件未分配给您", "this case is not assigned to you")
    return found


async def actionable_case(gateway: Gateway, session: Session, case_id: str) -> intake_pb2.Application:
    """The application, if `session` is the official it is assigned to; 403 otherwise."""
    found = await application(gateway, case_id)
    account = session.account
    if account.role != "official":
        raise forbidden("只有承办人可以办理该案件", "only the assigned official acts on a case")
    if found.target_province != account.province:
        raise _other_province()
    if not await _holds(gateway, session, case_id, offered_is_enough=False):
        raise forbidden("该案件未分配给您", "this case is not assigned to you")
    return found


MASKERS = {"name": pii.mask_name, "id_number": pii.mask_id_number, "phone": pii.mask_phone}


def masked(data: dict[str, Any]) -> dict[str, Any]:
    """Masks every applicant block in a JSON view again (masking is idempotent), so an
    operator sees masked data even if a service ever returned it in clear."""
    for key, value in data.items():
        if key == "applicant" and isinstance(value, dict):
            data[key] = {
                k: MASKERS[k](v) if k in MASKERS and isinstance(v, str) else v for k, v in value.items()
            }
        elif isinstance(value, dict):
            masked(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    masked(item)
    return data
