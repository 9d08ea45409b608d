from datetime import UTC, date, datetime, timedelta

import pytest

from cli.idgen import make_id_number
from services.intake import domain
from services.shared import catalog as catalog_module
from services.shared.catalog import load_catalog
from services.shared.errors import ServiceError, ValidationFailed

TODAY = date(2026, 11, 24)
CATALOG = load_catalog()


def codes(failed: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str, str]]:
    return {(v.field, v.code) for v in failed.value.violations}


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "440524188001010014", "11010519491231002x", " 11010519491231002X "]
)
def test_known_valid_id_numbers_keep_their_ascii_form(number: str) -> None:
    assert domain.parse_id_number(number, TODAY, CATALOG).number == number.strip().upper()


def test_full_width_id_numbers_from_an_ime_are_folded_to_ascii() -> None:
    resident = domain.parse_id_number("１１０１０５１９４９１２３１００２ｘ", TODAY, CATALOG)
    assert resident.number == "11010519491231002X"


def test_digits_of_other_scripts_are_refused() -> None:
    arabic_indic = "11010519491231002X".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with pytest.raises(ValidationFailed) as failed:
        domain.parse_id_number(arabic_indic, TODAY, CATALOG)
    assert codes(failed) == {("id_number", "CHARACTERS")}


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_the_standards_examples_are_valid(number: str) -> None:
    assert domain.parse_id_number(number, TODAY, CATALOG).male == (int(number[14:17]) % 2 == 1)


def test_id_fields_are_decoded() -> None:
    resident = domain.parse_id_number("11010519491231002X", TODAY, CATALOG)
    assert resident.birth_date == date(1949, 12, 31) and resident.division == "110105"
    assert not resident.male  # sequence 002 is even
    assert resident.age_on(TODAY) == 76
    assert resident.age_on(date(2026, 12, 30)) == 76 and resident.age_on(date(2026, 12, 31)) == 77


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "LENGTH"),
        ("11010519491231002XX", "LENGTH"),
        ("1101051949123100AX", "CHARACTERS"),
        ("110105194912310021", "CHECK_DIGIT"),
        ("990105194912310027", "DIVISION"),  # province 99 does not exist
        ("119905194912310023", "DIVISION"),  # prefecture 1199 does not exist
        (make_id_number("110105", date(2027, 1, 1), 12), "BIRTH_DATE"),  # future
        ("110105" + "19900230" + "0123", "BIRTH_DATE"),  # 30 February
        (make_id_number("110105", date(1879, 12, 31), 12), "BIRTH_DATE"),  # before the earliest
        ("11010519491231002Y", "CHARACTERS"),
        ("", "LENGTH"),
    ],
)
def test_crafted_invalid_id_numbers(number: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        domain.parse_id_number(number, TODAY, CATALOG)
    assert ("id_number", code) in codes(failed)
    assert all(v.message_zh and v.message_en for v in failed.value.violations)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("86 13812345678", "13812345678"),
        ("(0086)19912345678", "19912345678"),
        ("12812345678", None),
        ("1381234567", None),
        ("abc", None),
        ("", None),
        ("１３８１２３４５６７８", "13812345678"),  # full-width, as a Chinese IME types it
        ("138١٢٣٤٥٦٧٨", None),  # Arabic-Indic digits are not accepted
        ("+8613812345678", "13812345678"),
        ("138123456789", None),
        ("+85291234567", None),
    ],
)
def test_mobile_numbers(raw: str, clean: str | None) -> None:
    assert domain.normalise_mobile(raw) == clean


def test_validate_mobile_returns_the_number_or_names_the_field() -> None:
    assert domain.validate_mobile("+86 138 1234 5678") == "13812345678"
    with pytest.raises(ValidationFailed) as failed:
        domain.validate_mobile("12345", field="contact_phone")
    assert codes(failed) == {("contact_phone", "FORMAT")}


def test_elderly_from_birth_date() -> None:
    assert domain.is_elderly(date(1966, 11, 24), TODAY)
    assert not domain.is_elderly(date(1966, 11, 25), TODAY)


def valid_args(**overrides: str) -> dict[str, object]:
    args: dict[str, object] = dict(
        today=TODAY,
        name="张三",
        id_number=make_id_number("340104", date(1990, 1, 1), 123),
        phone="13812345678",
        hall_id="hall-340104-01",
        matter_code="HF-WITHDRAW-RETIRE",
        target_province="310000",
    )
    args.update(overrides)
    return args


def test_a_valid_cross_province_application() -> None:
    valid = domain.validate_application(CATALOG, **valid_args())  # type: ignore[arg-type]
    assert valid.hall.province == "340000" and valid.matter.department.code == "housing_fund"


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("  Li   Wei ", "Li Wei"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("张" * 50, "张" * 50),
        ("王\U00031350", "王\U00031350"),  # CJK Extension H (Unicode 15), newer than Python 3.11's tables
        ("李\ue000", "李\ue000"),  # rare character stored in the private-use area
    ],
)
def test_names_are_collapsed_and_may_be_latin_or_long(name: str, clean: str) -> None:
    assert domain.validate_application(CATALOG, **valid_args(name=name)).name == clean  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("张\x00三", "CHARACTERS"),
        ("张三\u202e", "CHARACTERS"),
        ("张\u200b三", "CHARACTERS"),
        ("", "LENGTH"),
        ("张" * 51, "LENGTH"),
    ],
)
def test_bad_names_are_refused(name: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        domain.validate_application(CATALOG, **valid_args(name=name))  # type: ignore[arg-type]
    assert codes(failed) == {("applicant_name", code)}


def test_a_province_outside_the_matters_list_is_refused() -> None:
    # the shipped matters are all national ("ALL"); a regional one is built from the same data
    raw = [
        catalog_module._read(f) for f in ("provinces.yaml", "divisions.yaml", "matters.yaml", "halls.yaml")
    ]
    raw[2]["matters"][0]["provinces"] = ["320000"]
    regional = catalog_module.parse(*raw)
    code = raw[2]["matters"][0]["code"]
    domain.validate_application(
        regional,
        **valid_args(  # type: ignore[arg-type]
            matter_code=code, target_province="320000"
        ),
    )
    with pytest.raises(ValidationFailed) as failed:
        domain.validate_application(
            regional,
            **valid_args(  # type: ignore[arg-type]
                matter_code=code, target_province="310000"
            ),
        )
    assert codes(failed) == {("target_province", "NOT_HANDLED")}


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
        domain.validate_application(
            CATALOG,
            **valid_args(  # type: ignore[arg-type]
                name=" ",
                id_number="123",
                phone="999",
                hall_id="nope",
                matter_code="nope",
                target_province="999999",
                preferred_language="fr",
            ),
        )
    assert codes(failed) == {
        ("applicant_name", "LENGTH"),
        ("id_number", "LENGTH"),
        ("phone", "FORMAT"),
        ("hall_id", "UNKNOWN"),
        ("matter_code", "UNKNOWN"),
        ("target_province", "UNKNOWN"),
        ("preferred_language", "UNKNOWN"),
    }


def test_delivery_method_must_be_allowed() -> None:
    with pytest.raises(ValidationFailed) as failed:
        domain.validate_application(CATALOG, **valid_args(delivery_method="HALL_PRINT"))  # type: ignore[arg-type]
    assert ("delivery_method", "NOT_ALLOWED") in codes(failed)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"%PDF-1.7\n", "application/pdf"),
    ],
)
def test_materials_are_recognised_by_content(data: bytes, kind: str) -> None:
    assert domain.sniff_material(data) == kind


@pytest.mark.parametrize("data", [b"hello, this is a .jpg by name", b"GIF89a", b"PK\x03\x04", b""])
def test_other_content_is_refused(data: bytes) -> None:
    with pytest.raises(ValidationFailed) as failed:
        domain.sniff_material(data)
    assert ("data", "TYPE") in codes(failed)


def test_size_limits() -> None:
    assert domain.MAX_MATERIAL_BYTES == 20 * 1024 * 1024
    assert domain.MAX_APPLICATION_BYTES == 5 * domain.MAX_MATERIAL_BYTES


def test_submission_outcomes() -> None:
    matter = CATALOG.matter("HF-WITHDRAW-RETIRE")
    assert matter is not None
    refused = domain.submission_check(matter, {"id_card"})
    assert not refused.accepted
    assert [m.code for m in refused.missing_key] == ["form", "retire_cert"]
    partial = domain.submission_check(matter, {"id_card", "form", "retire_cert"})
    assert partial.accepted and partial.with_deficiency
    assert [m.code for m in partial.missing_optional] == ["bank_card"]
    complete = domain.submission_check(matter, [m.code for m in matter.materials] + ["extra"])
    assert complete.accepted and not complete.with_deficiency
    assert not complete.missing_key and not complete.missing_optional


def test_status_rules() -> None:
    assert domain.can_submit("DRAFT") and not domain.can_submit("SUBMITTED")
    assert domain.can_cancel("SUBMITTED") and not domain.can_cancel("CANCELLED")
    assert domain.can_upload("SUBMITTED") and not domain.can_upload("CANCELLED")
    for later in ("QUEUED", "ASSIGNED", "DECIDED", "CLOSED", ""):  # other services' stages
        assert not (domain.can_submit(later) or domain.can_cancel(later) or domain.can_upload(later))


def test_a_supplement_round_reopens_upload_and_submit() -> None:
    assert domain.can_upload("SUPPLEMENT_REQUESTED") and domain.can_submit("SUPPLEMENT_REQUESTED")
    assert domain.can_cancel("SUPPLEMENT_REQUESTED")
    assert not domain.can_submit("SUBMITTED") and not domain.can_upload("CANCELLED")
    assert domain.supplements_missing(["retire_cert", "form"], {"form"}) == ["retire_cert"]
    assert domain.supplements_missing(["retire_cert"], {"retire_cert", "id_card"}) == []
    assert domain.supplements_missing([], set()) == []


def test_supplements_are_awaited_only_where_the_applicant_can_upload_them() -> None:
    matter = CATALOG.matter("SI-PENSION-TRANSFER")
    assert matter is not None
    request = domain.supplement_request(matter, ["contribution_record", "bank_card", "no_such_material"])
    assert request.awaited == ("contribution_record",)
    assert request.ignored == ("bank_card", "no_such_material")
    assert domain.supplement_request(matter, ["form", "form"]).awaited == ("form",)
    assert domain.is_material_of(matter, "form") and not domain.is_material_of(matter, "bank_card")
    assert domain.reopens_for_supplements("SUBMITTED")
    assert not domain.reopens_for_supplements("CANCELLED")


def test_a_resubmission_waits_for_uploads_after_the_request() -> None:
    asked = datetime(2025, 3, 3, 10, tzinfo=UTC)
    before, after = asked - timedelta(minutes=5), asked + timedelta(minutes=5)
    uploads = [("retire_cert", before), ("form", after)]
    assert domain.supplements_lacking(["retire_cert", "form"], uploads, asked) == ["retire_cert"]
    assert domain.supplements_lacking(["retire_cert"], [*uploads, ("retire_cert", after)], asked) == []
    assert domain.supplements_lacking(["retire_cert"], uploads, None) == []  # no time: any upload


def test_when_an_application_may_be_submitted_first_and_again() -> None:
    matter = CATALOG.matter("HF-WITHDRAW-RETIRE")
    assert matter is not None
    asked = datetime(2025, 3, 3, 10, tzinfo=UTC)
    early, late = asked - timedelta(hours=1), asked + timedelta(hours=1)
    uploads = [("id_card", early), ("form", early), ("retire_cert", early)]
    first = domain.check_submission(matter, "DRAFT", uploads)
    assert first.accepted and [m.code for m in first.missing_optional] == ["bank_card"]

    def refusal(status: str, got: list[tuple[str, datetime]], requested: list[str]) -> str:
        with pytest.raises(ServiceError) as caught:
            domain.check_submission(matter, status, got, requested, asked)
        return caught.value.reason

    assert refusal("CANCELLED", uploads, []) == "WRONG_STATE"
    assert refusal("DRAFT", uploads[:1], []) == "KEY_MATERIALS_MISSING"
    # 补正: the retirement certificate uploaded before the request is what was found wanting
    assert refusal("SUPPLEMENT_REQUESTED", uploads, ["retire_cert"]) == "SUPPLEMENTS_MISSING"
    again = domain.check_submission(
        matter, "SUPPLEMENT_REQUESTED", [*uploads, ("retire_cert", late)], ["retire_cert"], asked
    )
    assert again.accepted
    # nothing awaited (every code of the request was one the matter lacks): no dead end
    assert domain.check_submission(matter, "SUPPLEMENT_REQUESTED", uploads, [], asked).accepted
