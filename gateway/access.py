"""Which staff may see and act on which case, checked against the services themselves:
intake says whose province a case belongs to, routing and results say who holds it.

- official: cases of their province that are offered to them (read) or assigned to them
  (read and act), now or before (results remembers the assigned official);
- supervisor: every case of their province, read only;
- operator, admin: every case, personal data masked (see `masked`).

`check_read` is the one rule for reading a case: the REST routes call it (through
`readable_case`) and so does every live stream for every event of a case
(`StreamAccess`), so a WebSocket never shows what the API would refuse. Applicants see
their own case without any staff member's username (`for_applicant`).
"""

from __future__ import annotations

import time
from typing import Any

from gateway.accounts import Session
from gateway.context import Gateway
from gateway.errors import ApiError, forbidden
from gateway.live import LiveEvent
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


async def check_read(gateway: Gateway, session: Session, case_id: str, target_province: str) -> None:
    """Returns if `session` may read the case (owned by `target_province`); raises 403."""
    account = session.account
    if account.role in ("operator", "admin"):
        return
    if target_province != account.province:
        raise _other_province()
    if account.role == "supervisor":
        return
    if not await _holds(gateway, session, case_id, offered_is_enough=True):
        raise forbidden("该案件未分配给您", "this case is not assigned to you")


async def readable_case(gateway: Gateway, session: Session, case_id: str) -> intake_pb2.Application:
    """The application, if `session` may read it; 403 otherwise (404 if there is none)."""
    found = await application(gateway, case_id)
    gateway.case_provinces.remember(case_id, found.target_province)
    await check_read(gateway, session, case_id, found.target_province)
    return found


async def target_province(gateway: Gateway, case_id: str) -> str:
    """Which province owns the case: intake's answer, remembered (it never changes)."""
    found = gateway.case_provinces.get(case_id)
    if found is None:
        found = (await application(gateway, case_id)).target_province
        gateway.case_provinces.remember(case_id, found)
    return found


# Routing's events about an official themself (their offer, its end, their assignment,
# their presence): what GET /api/v1/official/me shows them, so they see their own.
OWN_STATE = {
    "CaseReserved",
    "ReservationAccepted",
    "ReservationRejected",
    "ReservationTimedOut",
    "CaseAssigned",
    "OfficialStateChanged",
}
DECISION_TTL_S = 5.0  # an offer can lapse: an official's "may read" is asked again soon


class StreamAccess:
    """What one staff WebSocket may be sent: an official's own state, and events of cases
    `check_read` lets the session read (asked per case, the answer kept a few seconds and
    asked again after any change of who holds the case)."""

    def __init__(self, gateway: Gateway, session: Session, clock: Any = time.monotonic) -> None:
        self.gateway = gateway
        self.session = session
        self.clock = clock
        self._decided: dict[str, tuple[float, bool]] = {}

    def own_state(self, event: LiveEvent) -> bool:
        return (
            self.session.account.role == "official"
            and event.type in OWN_STATE
            and event.data.get("official_id") == self.session.account.username
        )

    async def visible(self, event: LiveEvent) -> bool:
        if event.type in OWN_STATE:
            self._decided.pop(event.case_id, None)  # who holds the case may have changed
        if self.own_state(event):
            return True
        if not event.case_id:
            return False
        now = self.clock()
        cached = self._decided.get(event.case_id)
        if cached is not None and now - cached[0] < DECISION_TTL_S:
            return cached[1]
        try:
            province = await target_province(self.gateway, event.case_id)
            await check_read(self.gateway, self.session, event.case_id, province)
            allowed = True
        except ApiError as error:
            if error.status not in (400, 403, 404):
                return False  # a service away: not shown now, asked again next time
            allowed = False
        self._decided[event.case_id] = (now, allowed)
        return allowed


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


MASKERS = {"name": pii.mask_name, "id_number": pii.mask_id_for_people, "phone": pii.mask_phone}
STAFF_FIELDS = frozenset({"official_id", "closed_by", "display_name"})


def for_applicant(data: Any) -> Any:
    """An applicant's view (changed in place): no staff member's username or name. The
    kiosk stands in a public hall; who handles a case is the platform's to know."""
    if isinstance(data, dict):
        for key in [k for k in data if k in STAFF_FIELDS]:
            del data[key]
        for value in data.values():
            for_applicant(value)
    elif isinstance(data, list):
        for item in data:
            for_applicant(item)
    return data


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
