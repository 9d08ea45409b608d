import re
from dataclasses import replace
from datetime import date

import pytest

from services.results import certificate
from services.results.certificate import CertificateFields

SECRET = b"test-secret-of-thirty-two-bytes!"
FIELDS = CertificateFields(
    number=certificate.certificate_number("310000", date(2026, 11, 24), 123),
    case_id="c-1",
    matter_code="HF-TRANSFER",
    matter_zh="住房公积金异地转移接续",
    matter_en="Housing fund account transfer",
    holder_masked="张*",
    holder_id_masked="340104********123X",
    province="310000",
    province_zh="上海市",
    issued_on=date(2026, 11, 24),
)
BASE = "http://127.0.0.1:8080"


def pdf_texts(pdf: bytes) -> list[str]:
    """The strings drawn on an uncompressed page, decoded by the font they are set in:
    the Type0 (CID) font takes UCS-2 big-endian, the Type1 font single bytes."""
    cid_fonts = set(re.findall(rb"/Encoding /UniGB-UCS2-H /Name /(F\d+)", pdf))
    texts, font = [], b""
    for match in re.finditer(rb"/(F\d+) [\d.]+ Tf|\((.*?)(?<!\\)\) Tj", pdf):
        if match[1]:
            font = match[1]  # the font stays set until the next Tf
            continue
        data = re.sub(
            rb"\\([0-7]{3}|.)", lambda m: bytes([int(m[1], 8)]) if len(m[1]) == 3 else m[1], match[2]
        )
        texts.append(data.decode("utf-16-be" if font in cid_fonts else "latin-1"))
    return texts


def test_number_format_and_parsing() -> None:
    assert FIELDS.number == "TB-310000-20261124-000123"
    assert certificate.parse_certificate_number(" TB-310000-20261124-000123 ") == (
        "310000",
        date(2026, 11, 24),
        123,
    )
    for bad in [
        "TB-31000-20261124-000123",
        "TB-310000-20261332-000123",
        "TB-310000-20261124-000000",
        "tb-310000-20261124-000123",
        "",
    ]:
        assert certificate.parse_certificate_number(bad) is None
    for province, sequence in [("31", 1), ("310000", 0), ("310000", 1_000_000)]:
        with pytest.raises(ValueError):
            certificate.certificate_number(province, date(2026, 11, 24), sequence)


def test_genuine_hash_verifies() -> None:
    digest = certificate.verification_hash(SECRET, FIELDS)
    assert re.fullmatch(r"[0-9a-f]{32}", digest)
    assert certificate.verify(SECRET, FIELDS, digest)
    assert certificate.verify(SECRET, FIELDS, f" {digest.upper()} ")  # typed by hand
    # the printed fields that are not hashed (display names) do not matter
    assert certificate.verify(SECRET, replace(FIELDS, matter_en="Housing fund"), digest)


def test_a_forged_hash_or_a_changed_field_is_rejected() -> None:
    digest = certificate.verification_hash(SECRET, FIELDS)
    for i in (0, 15, 31):
        forged = digest[:i] + ("0" if digest[i] != "0" else "1") + digest[i + 1 :]
        assert not certificate.verify(SECRET, FIELDS, forged)
    assert not certificate.verify(SECRET, FIELDS, digest[:-1])
    assert not certificate.verify(SECRET, FIELDS, "")
    assert not certificate.verify(SECRET, FIELDS, "校验码" + digest)  # non-ASCII: no TypeError
    for changed in [
        replace(FIELDS, number="TB-310000-20261124-000124"),
        replace(FIELDS, case_id="c-2"),
        replace(FIELDS, matter_code="HF-WITHDRAW"),
        replace(FIELDS, holder_masked="李*"),
        replace(FIELDS, holder_id_masked="340104********1230"),
        replace(FIELDS, province="320000"),
        replace(FIELDS, issued_on=date(2026, 11, 25)),
    ]:
        assert not certificate.verify(SECRET, changed, digest), changed
    assert not certificate.verify(b"other-secret", FIELDS, digest)


def test_field_boundaries_cannot_be_shifted() -> None:
    a = replace(FIELDS, case_id="c-1", matter_code="HF")
    b = replace(FIELDS, case_id="c-1H", matter_code="F")
    assert certificate.canonical(a) != certificate.canonical(b)


def test_clear_personal_data_is_masked_before_hashing_or_printing() -> None:
    clear = replace(FIELDS, holder_masked="张三丰", holder_id_masked="11010519491231002X")
    assert clear.holder_masked == "张**" and clear.holder_id_masked == "110105********002X"
    pdf = certificate.render_pdf(clear, "0" * 32, BASE)
    assert b"11010519491231002X" not in pdf and b"110105********002X" in pdf


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        certificate.verification_hash(b"", FIELDS)


def test_pdf_carries_number_hash_zh_text_and_verify_link() -> None:
    digest = certificate.verification_hash(SECRET, FIELDS)
    pdf = certificate.render_pdf(FIELDS, digest, BASE)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 5000
    assert b"/STSong-Light" in pdf  # the built-in CID font: Chinese renders without a file
    texts = pdf_texts(pdf)
    assert FIELDS.number in texts and digest in texts
    assert "340104********123X" in texts and "张*" in texts
    assert "住房公积金异地转移接续" in texts and "上海市 (310000)" in texts
    assert any(t.startswith("证明编号") for t in texts)
    url = certificate.verify_url(BASE, FIELDS.number, digest)
    assert url == f"{BASE}/verify?n={FIELDS.number}&h={digest}"
    assert url in texts


def test_pdf_is_deterministic_and_compressible() -> None:
    digest = certificate.verification_hash(SECRET, FIELDS)
    first = certificate.render_pdf(FIELDS, digest, BASE)
    assert first == certificate.render_pdf(FIELDS, digest, BASE)
    small = certificate.render_pdf(FIELDS, digest, BASE, compress=True)
    assert small.startswith(b"%PDF") and len(small) < len(first)


def test_a_long_matter_name_still_renders() -> None:
    long = replace(FIELDS, matter_zh="跨省通办" * 12, matter_en="A very long matter name " * 6)
    pdf = certificate.render_pdf(long, "0" * 32, BASE)
    assert "跨省通办" * 12 in pdf_texts(pdf)
