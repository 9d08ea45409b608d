"""The decision rules, pure: no engine needed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import grpc
import pytest

from services.results import decisions
from services.results.calendar import default_calendar
from services.results.deadlines import rectification_due
from services.shared.catalog import Matter, load_catalog
from services.shared.errors import ServiceError, ValidationFailed
from tongban.results.v1 import results_pb2
from tongban.types.v1 import types_pb2

D = types_pb2
CATALOG = load_catalog()


def matter(code: str = "SI-PENSION-TRANSFER") -> Matter:
    found = CATALOG.matter(code)
    assert found is not None
    return found


def supplement(*codes: str) -> results_pb2.RecordDecisionRequest:
    return results_pb2.RecordDecisionRequest(
        case_id="c",
        official_id="o",
        province="310000",
        outcome=D.DECISION_OUTCOME_SUPPLEMENT_REQUESTED,
        supplements=list(codes),
    )


def violations(request: results_pb2.RecordDecisionRequest, code: str = "SI-PENSION-TRANSFER") -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        decisions.validate_for_matter(request, matter(code))
    return [f"{v.field}/{v.code}" for v in caught.value.violations]


def test_a_supplement_request_names_materials_of_the_cases_matter() -> None:
    decisions.validate_for_matter(supplement("contribution_record"), matter())
    decisions.validate_for_matter(supplement("id_card", "form"), matter())
    # the two dead ends found by trying the product
    assert violations(supplement("no_such_material")) == ["supplements/NOT_OF_MATTER"]
    assert violations(supplement("bank_card")) == ["supplements/NOT_OF_MATTER"]  # another matter's


def test_bank_card_is_fine_where_the_matter_lists_it() -> None:
    decisions.validate_for_matter(supplement("bank_card"), matter("SI-PENSION-CLAIM"))


def test_an_empty_or_repeated_supplement_list_is_refused() -> None:
    assert violations(supplement()) == ["supplements/REQUIRED"]
    assert violations(supplement("form", "form")) == ["supplements/DUPLICATE"]
    assert violations(supplement("", "form")) == ["supplements/NOT_OF_MATTER"]


def test_the_refusal_says_what_the_matter_lists_in_both_languages() -> None:
    with pytest.raises(ValidationFailed) as caught:
        decisions.validate_for_matter(supplement("bank_card"), matter())
    (problem,) = caught.value.violations
    assert "bank_card" in problem.message_zh and "养老保险关系转移接续" in problem.message_zh
    assert "contribution_record" in problem.message_en and "SI-PENSION-TRANSFER" in problem.message_en


def test_other_outcomes_do_not_look_at_supplements_and_an_unknown_matter_waits() -> None:
    approve = results_pb2.RecordDecisionRequest(outcome=D.DECISION_OUTCOME_APPROVED, supplements=["x"])
    decisions.validate_for_matter(approve, None)
    with pytest.raises(ServiceError) as caught:
        decisions.validate_for_matter(supplement("form"), None)
    assert caught.value.reason == "MATTER_UNKNOWN"


def test_a_request_on_its_own_lists_every_missing_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        decisions.validate_request(results_pb2.RecordDecisionRequest(outcome=D.DECISION_OUTCOME_REJECTED))
    fields = {v.field for v in caught.value.violations}
    assert fields == {"case_id", "official_id", "reason_code", "legal_basis"}
    with pytest.raises(ValidationFailed) as caught:
        decisions.validate_request(
            results_pb2.RecordDecisionRequest(
                case_id="c",
                official_id="o",
                outcome=D.DECISION_OUTCOME_APPROVED,
                delivery_method=D.DELIVERY_METHOD_MAIL,
                mail_address="  ",
            )
        )
    assert [v.field for v in caught.value.violations] == ["mail_address"]


ASSIGNED_AT = datetime(2025, 3, 3, 9, tzinfo=UTC)


def case(status: str = "IN_WINDOW", outcome: int = 0) -> decisions.CaseView:
    return decisions.CaseView("c", status, "sh-1", "310000", ASSIGNED_AT, outcome)  # type: ignore[arg-type]


def test_only_the_assigned_official_of_the_cases_province_decides() -> None:
    decisions.check_decider(case(), "sh-1", "310000")
    for official, province in (("sh-2", "310000"), ("sh-1", "340000")):
        with pytest.raises(ServiceError) as caught:
            decisions.check_decider(case(), official, province)
        assert caught.value.status == grpc.StatusCode.PERMISSION_DENIED


def test_a_case_is_decided_in_its_window_once_per_assignment() -> None:
    decisions.check_decidable(case("ASSIGNED"), None)
    decisions.check_decidable(case("IN_WINDOW"), ASSIGNED_AT - timedelta(days=1))  # round 1's
    for status, last in (
        ("IN_WINDOW", ASSIGNED_AT + timedelta(minutes=3)),  # decided already (event not read)
        ("QUEUED", None),
        ("SUPPLEMENT_REQUESTED", None),
        ("DECIDED", None),
    ):
        with pytest.raises(ServiceError) as caught:
            decisions.check_decidable(case(status), last)
        assert caught.value.reason == "WRONG_STATE" and status in caught.value.message_en


def test_what_each_outcome_sets_going_is_dated_by_the_clock_given() -> None:
    today = date(2025, 3, 3)

    def plan(**fields: object) -> decisions.DecisionPlan:
        return decisions.plan_decision(results_pb2.RecordDecisionRequest(**fields), today)  # type: ignore[arg-type]

    electronic = plan(outcome=D.DECISION_OUTCOME_APPROVED)
    assert electronic == decisions.DecisionPlan(D.DELIVERY_METHOD_E_CERTIFICATE, None, True, today, True)
    mail = plan(outcome=D.DECISION_OUTCOME_APPROVED, delivery_method=D.DELIVERY_METHOD_MAIL)
    assert mail == decisions.DecisionPlan(D.DELIVERY_METHOD_MAIL, None, True, None, False)
    supplement = plan(outcome=D.DECISION_OUTCOME_SUPPLEMENT_REQUESTED, supplements=["form"])
    assert supplement.pause_from == today and not supplement.issues_result
    for outcome in (D.DECISION_OUTCOME_REJECTED, D.DECISION_OUTCOME_TRANSFERRED):
        # a delivery method sent with a rejection is not recorded as one
        rejected = plan(outcome=outcome, delivery_method=D.DELIVERY_METHOD_MAIL)
        assert rejected == decisions.DecisionPlan(D.DELIVERY_METHOD_UNSPECIFIED, None, False, None, False)


def test_rated_once_after_the_decision() -> None:
    for status in decisions.RATEABLE:
        decisions.check_rateable(case(status), already_rated=False)
    with pytest.raises(ServiceError) as caught:
        decisions.check_rateable(case("DELIVERED"), already_rated=True)
    assert caught.value.reason == "ALREADY_RATED"
    for status in ("IN_WINDOW", "SUPPLEMENT_REQUESTED", "CLOSED"):
        with pytest.raises(ServiceError) as caught:
            decisions.check_rateable(case(status), already_rated=False)
        assert caught.value.reason == "WRONG_STATE"


def test_a_bad_rating_opens_a_rectification_and_the_last_step_closes_the_case() -> None:
    calendar = default_calendar()
    friday = date(2025, 3, 7)
    bad = decisions.plan_rating(2, D.DECISION_OUTCOME_APPROVED, False, friday, calendar)
    assert bad.rectification_due == rectification_due(calendar, friday) and not bad.closes
    good = decisions.plan_rating(4, D.DECISION_OUTCOME_APPROVED, True, friday, calendar)
    assert good.rectification_due is None and good.closes  # delivered before the rating
    assert decisions.plan_rating(5, D.DECISION_OUTCOME_REJECTED, False, friday, calendar).closes
    assert decisions.closes_on_delivery(rated=True) and not decisions.closes_on_delivery(rated=False)
