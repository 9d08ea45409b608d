"""The decision rules, pure: no engine needed."""

from __future__ import annotations

import pytest

from services.results import decisions
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
