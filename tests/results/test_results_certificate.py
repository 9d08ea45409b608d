from dataclasses import replace
from datetime import date

import pytest

from services.results import certificate, evaluation
from services.results.certificate import CertificateFields
from services.shared.errors import ValidationFailed

SECRET = b"test-secret"
FIELDS = CertificateFields(
    number=certificate.certificate_number("310000", date(2026, 11, 24), 123),
    case_id="c-1", matter_code="HF-TRANSFER", matter_zh="住房公积金异地转移接续",
    matter_en="Housing fund account transfer", holder_masked="张*",
    holder_id_masked="340104********123X", province="310000", province_zh="上海市",
    issued_on=date(2026, 11, 24))


def test_number_format() -> None:
    assert FIELDS.number == "TB-310000-20261124-000123"


def test_genuine_hash_verifies_and_forgeries_do_not() -> None:
    digest = certificate.verification_hash(SECRET, FIELDS)
    assert certificate.verify(SECRET, FIELDS, digest)
    assert certificate.verify(SECRET, FIELDS, digest.upper())
    forged = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    assert not certificate.verify(SECRET, FIELDS, forged)
    assert not certificate.verify(SECRET, replace(FIELDS, holder_masked="李*"), digest)
    assert not certificate.verify(b"other-secret", FIELDS, digest)


def test_pdf_carries_number_hash_and_verify_link() -> None:
    digest = certificate.verification_hash(SECRET, FIELDS)
    pdf = certificate.render_pdf(FIELDS, digest, "http://127.0.0.1:8080")
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    assert FIELDS.number.encode() in pdf and digest.encode() in pdf
    assert b"340104********123X" in pdf and b"34010419" not in pdf  # masked holder only


def test_evaluation_rules() -> None:
    evaluation.validate(5, ["friendly", "fast"], "很好")
    with pytest.raises(ValidationFailed) as failed:
        evaluation.validate(6, ["great"], "x" * 501)
    assert {v.field for v in failed.value.violations} == {"level", "tags", "comment"}
    assert evaluation.needs_rectification(2) and not evaluation.needs_rectification(3)
    assert evaluation.is_satisfied(3) and not evaluation.is_satisfied(2)
