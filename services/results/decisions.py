"""The decision rules, pure: what a decision must say, who may decide a case and when.

No I/O. A rule that needs the date takes `today` from the caller (the service's clock), so
every rule has a fast unit test. Bad input raises ValidationFailed listing every problem;
a decision that is not allowed raises the ServiceError the caller answers with.
"""

from __future__ import annotations

from collections.abc import Sequence

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
