from datetime import date

import pytest

from services.intake import domain
from services.intake.idgen import make_id_number
from services.shared.catalog import load_catalog
from services.shared.errors import ValidationFailed

TODAY = date(2026, 11, 24)
CATALOG = load_catalog()


def codes(failed: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str, str]]:
    return {(v.field, v.code) for v in failed.value.violations}


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014",
                                    "11010519491231002x", " 11010519491231002X "])
def test_known_valid_id_numbers(number: str) -> None:
    resident = domain.parse_id_number(number, TODAY, CATALOG)
    assert resident.number == number.strip().upper()


def test_id_fields_are_decoded() -> None:
    resident = domain.parse_id_number("11010519491231002X", TODAY, CATALOG)
    assert resident.birth_date == date(1949, 12, 31) and resident.division == "110105"
    assert not resident.male  # sequence 002 is even
    assert resident.age_on(TODAY) == 76
    assert resident.age_on(date(2026, 12, 30)) == 76 and resident.age_on(date(2026, 12, 31)) == 77


@pytest.mark.parametrize(("number", "code"), [
    ("11010519491231002", "LENGTH"),
    ("11010519491231002XX", "LENGTH"),
    ("1101051949123100AX", "CHARACTERS"),
    ("110105194912310021", "CHECK_DIGIT"),
    ("990105194912310027", "DIVISION"),          # province 99 does not exist
    ("119905194912310023", "DIVISION"),          # prefecture 1199 does not exist
    (make_id_number("110105", date(2027, 1, 1), 12), "BIRTH_DATE"),  # future
    ("110105" + "19900230" + "0123", "BIRTH_DATE"),  # 30 February
])
def test_crafted_invalid_id_numbers(number: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        domain.parse_id_number(number, TODAY, CATALOG)
    assert ("id_number", code) in codes(failed)
    assert all(v.message_zh and v.message_en for v in failed.value.violations)


@pytest.mark.parametrize(("raw", "clean"), [
    ("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678"),
    ("86 13812345678", "13812345678"), ("(0086)19912345678", "19912345678"),
    ("12812345678", None), ("1381234567", None), ("abc", None), ("", None),
])
def test_mobile_numbers(raw: str, clean: str | None) -> None:
    assert domain.normalise_mobile(raw) == clean


def test_elderly_from_birth_date() -> None:
    assert domain.is_elderly(date(1966, 11, 24), TODAY)
    assert not domain.is_elderly(date(1966, 11, 25), TODAY)


def valid_args(**overrides: str) -> dict[str, object]:
    args: dict[str, object] = dict(
        today=TODAY, name="张三", id_number=make_id_number("340104", date(1990, 1, 1), 123),
        phone="13812345678", hall_id="hall-340104-01", matter_code="HF-WITHDRAW-RETIRE",
        target_province="310000")
    args.update(overrides)
    return args


def test_a_valid_cross_province_application() -> None:
    valid = domain.validate_application(CATALOG, **valid_args())  # type: ignore[arg-type]
    assert valid.hall.province == "340000" and valid.matter.department.code == "housing_fund"


def test_same_province_is_refused_as_not_cross_province() -> None:
    with pytest.raises(ValidationFailed) as failed:
        domain.validate_application(CATALOG, **valid_args(target_province="340000"))  # type: ignore[arg-type]
    assert ("target_province", "NOT_CROSS_PROVINCE") in codes(failed)
    assert "跨省通办" in failed.value.violations[0].message_zh


def test_a_matter_not_taken_remotely_is_refused() -> None:
    with pytest.raises(ValidationFailed) as failed:
        domain.validate_application(CATALOG, **valid_args(matter_code="PS-ENTRY-EXIT"))  # type: ignore[arg-type]
    assert ("target_province", "NOT_HANDLED") in codes(failed)


def test_every_violation_is_collected() -> None:
    with pytest.raises(ValidationFailed) as failed:
        domain.validate_application(CATALOG, **valid_args(  # type: ignore[arg-type]
            name=" ", id_number="123", phone="999", hall_id="nope", matter_code="nope",
            target_province="999999", preferred_language="fr"))
    assert codes(failed) == {
        ("applicant_name", "LENGTH"), ("id_number", "LENGTH"), ("phone", "FORMAT"),
        ("hall_id", "UNKNOWN"), ("matter_code", "UNKNOWN"), ("target_province", "UNKNOWN"),
        ("preferred_language", "UNKNOWN")}


def test_delivery_method_must_be_allowed() -> None:
    with pytest.raises(ValidationFailed) as failed:
        domain.validate_application(CATALOG, **valid_args(delivery_method="HALL_PRINT"))  # type: ignore[arg-type]
    assert ("delivery_method", "NOT_ALLOWED") in codes(failed)


@pytest.mark.parametrize(("data", "kind"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    (b"%PDF-1.7\n", "application/pdf"),
])
def test_materials_are_recognised_by_content(data: bytes, kind: str) -> None:
    assert domain.sniff_material(data) == kind


@pytest.mark.parametrize("data", [b"hello, this is a .jpg by name", b"GIF89a", b"PK\x03\x04", b""])
def test_other_content_is_refused(data: bytes) -> None:
    with pytest.raises(ValidationFailed) as failed:
        domain.sniff_material(data)
    assert ("data", "TYPE") in codes(failed)


def test_submission_outcomes() -> None:
    matter = CATALOG.matter("HF-WITHDRAW-RETIRE")
    assert matter is not None
    refused = domain.submission_check(matter, {"id_card"})
    assert not refused.accepted
    assert [m.code for m in refused.missing_key] == ["form", "retire_cert"]
    partial = domain.submission_check(matter, {"id_card", "form", "retire_cert"})
    assert partial.accepted and partial.with_deficiency
    assert [m.code for m in partial.missing_optional] == ["bank_card"]
    complete = domain.submission_check(matter, {m.code for m in matter.materials})
    assert complete.accepted and not complete.with_deficiency


def test_status_rules() -> None:
    assert domain.can_submit("DRAFT") and not domain.can_submit("SUBMITTED")
    assert domain.can_cancel("SUBMITTED") and not domain.can_cancel("CANCELLED")
    assert domain.can_upload("SUBMITTED") and not domain.can_upload("CANCELLED")
