"""The decision rules, pure: what a decision must say, who may decide a case and when, what
a decision sets going (a pause, a result, a delivery), and when a case is rated and closed.

No I/O. A rule that needs the date takes `today` from the caller (the service's clock), so
every rule has a fast unit test. Bad input raises ValidationFailed listing every problem;
a decision that is not allowed raises the ServiceError the caller answers with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from services.results import evaluation
from services.results import status as status_machine
from services.results.calendar import WorkCalendar
from services.results.deadlines import rectification_due
from services.shared import errors
from services.shared.catalog import Matter
from services.shared.errors import FieldViolation, ValidationFailed
from tongban.results.v1 import results_pb2
from tongban.types.v1 import types_pb2

D = types_pb2


def _required(field: str, zh: str, en: str) -> FieldViolation:
    return FieldViolation(field, "REQUIRED", zh, en)


def request_violations(request: results_pb2.RecordDecisionRequest) -> list[FieldViolation]:
    """What is wrong with the request on its own (before the case is looked up)."""
    problems: list[FieldViolation] = []

    def need(ok: bool, field: str, zh: str, en: str) -> None:
        if not ok:
            problems.append(_required(field, zh, en))

    need(bool(request.case_id), "case_id", "缺少案件编号", "case_id is required")
    need(bool(request.official_id), "official_id", "缺少办理人", "official_id is required")
    outcome = request.outcome
    need(outcome != D.DECISION_OUTCOME_UNSPECIFIED, "outcome", "请选择办理结果", "outcome is required")
    if outcome == D.DECISION_OUTCOME_REJECTED:
        need(
            bool(request.reason_code), "reason_code", "不予受理须说明原因", "a rejection needs a reason code"
        )
        need(
            bool(request.legal_basis),
            "legal_basis",
            "不予受理须写明法律依据",
            "a rejection needs its legal basis",
        )
    if outcome == D.DECISION_OUTCOME_TRANSFERRED:
        need(
            bool(request.transfer_to),
            "transfer_to",
            "转办须指明部门",
            "a transfer names the receiving department",
        )
    if outcome == D.DECISION_OUTCOME_APPROVED and request.delivery_method == D.DELIVERY_METHOD_MAIL:
        need(
            bool(request.mail_address.strip()),
            "mail_address",
            "邮寄送达须填写地址",
            "delivery by mail needs an address",
        )
    return problems


def supplement_violations(supplements: Sequence[str], matter: Matter) -> list[FieldViolation]:
    """A 补正 names materials the applicant can supply: some, each a material of the case's
    matter, each once. Intake accepts uploads of the matter's materials only and reopens the
    submission once every requested one has arrived, so any other code would leave the case
    waiting for something that can never come."""
    if not supplements:
        return [
            _required(
                "supplements", "补正须列明所需材料", "a supplement request lists the materials to supply"
            )
        ]
    problems: list[FieldViolation] = []
    known = {m.code for m in matter.materials}
    foreign = [code for code in supplements if code not in known]
    if foreign:
        listed = ", ".join(m.code for m in matter.materials)
        problems.append(
            FieldViolation(
                "supplements",
                "NOT_OF_MATTER",
                f"以下材料不属于事项「{matter.name_zh}」：" + "、".join(foreign),
                f"not materials of {matter.code}: {', '.join(foreign)} (it lists {listed})",
            )
        )
    if len(set(supplements)) != len(supplements):
        problems.append(
            FieldViolation("supplements", "DUPLICATE", "补正材料重复", "a supplement is listed twice")
        )
    return problems


def validate_request(request: results_pb2.RecordDecisionRequest) -> None:
    """Raises ValidationFailed with every problem the request has on its own."""
    problems = request_violations(request)
    if problems:
        raise ValidationFailed(problems)


def validate_for_matter(request: results_pb2.RecordDecisionRequest, matter: Matter | None) -> None:
    """The rules that depend on the case's matter (known once the case is looked up)."""
    if request.outcome != D.DECISION_OUTCOME_SUPPLEMENT_REQUESTED:
        return
    if matter is None:  # the case's application has not been read yet: nothing to check against
        raise errors.failed_precondition(
            "案件的事项尚未登记，请稍后再试",
            "the case's matter is not known yet; try again shortly",
            reason="MATTER_UNKNOWN",
        )
    problems = supplement_violations(list(request.supplements), matter)
    if problems:
        raise ValidationFailed(problems)


# ---------------------------------------------------------------- who decides, and when

# a decision is made, and a case rated, only in these statuses (the projection's)
DECIDABLE = status_machine.DECIDABLE
RATEABLE = frozenset({"DECIDED", "RESULT_ISSUED", "DELIVERED"})


@dataclass(frozen=True)
class CaseView:
    """What the rules look at of a case row."""

    case_id: str
    status: str
    official_id: str  # the official of the last assignment (case.assigned)
    target_province: str
    assigned_at: datetime | None
    outcome: types_pb2.DecisionOutcome  # of the last decision the projection read; 0 before one


def check_decider(case: CaseView, official_id: str, province: str) -> None:
    """Only the official the case is assigned to, of the case's own province, decides it."""
    if case.official_id != official_id or case.target_province != province:
        raise errors.permission_denied(
            "只有承办该案件的本省工作人员可以作出决定",
            "only the official assigned to this case decides it",
        )


def check_decidable(case: CaseView, last_decided_at: datetime | None) -> None:
    """A case is decided in a window (or once assigned), once per assignment: a 补正's
    resubmission is assigned again and decided again."""
    decided_this_assignment = (
        last_decided_at is not None and case.assigned_at is not None and last_decided_at >= case.assigned_at
    )
    if case.status not in DECIDABLE or decided_this_assignment:
        raise errors.failed_precondition(
            f"案件当前状态（{case.status}）不能作出决定",
            f"the case cannot be decided in status {case.status}",
            reason="WRONG_STATE",
        )


@dataclass(frozen=True)
class DecisionPlan:
    """What a decision sets going, besides its own record."""

    delivery_method: types_pb2.DeliveryMethod  # of an approval; UNSPECIFIED for other outcomes
    pause_from: date | None  # 补正: the statutory clock stops from this day
    issues_result: bool  # an approval issues its result at once
    certificate_on: date | None  # an electronic certificate is issued, dated this day
    delivered_at_once: bool  # an electronic certificate is delivered the moment it exists


def plan_decision(request: results_pb2.RecordDecisionRequest, today: date) -> DecisionPlan:
    approved = request.outcome == D.DECISION_OUTCOME_APPROVED
    method = D.DELIVERY_METHOD_UNSPECIFIED
    if approved:
        method = request.delivery_method or D.DELIVERY_METHOD_E_CERTIFICATE
    electronic = method == D.DELIVERY_METHOD_E_CERTIFICATE
    return DecisionPlan(
        delivery_method=method,
        pause_from=today if request.outcome == D.DECISION_OUTCOME_SUPPLEMENT_REQUESTED else None,
        issues_result=approved,
        certificate_on=today if electronic else None,
        delivered_at_once=electronic,
    )


# ---------------------------------------------------------------- 好差评 and closing


def check_rateable(case: CaseView, already_rated: bool) -> None:
    """Rated once (一次一评), after the decision."""
    if already_rated:
        raise errors.failed_precondition(
            "每个案件只能评价一次（一次一评）", "each case is rated once", reason="ALREADY_RATED"
        )
    if case.status not in RATEABLE:
        raise errors.failed_precondition(
            "办理结束后才能评价",
            "the service can be rated once the case is decided",
            reason="WRONG_STATE",
        )


@dataclass(frozen=True)
class RatingPlan:
    rectification_due: date | None  # a 差评 opens a rectification due on this day
    closes: bool  # the rating is the case's last step


def plan_rating(level: int, outcome: int, delivered: bool, today: date, calendar: WorkCalendar) -> RatingPlan:
    """A case closes with its rating once nothing else is to come: its result was delivered,
    or there was no result to deliver (a rejection, a transfer)."""
    due = rectification_due(calendar, today) if evaluation.needs_rectification(level) else None
    return RatingPlan(due, delivered or outcome != D.DECISION_OUTCOME_APPROVED)


def closes_on_delivery(rated: bool) -> bool:
    """A delivery closes the case when the applicant has rated already."""
    return rated
