"""Electronic certificates (电子证照) of a cross-province result.

A certificate has a number, a keyed verification hash anyone can check through the verify
RPC or page, and a one-page PDF carrying both plus a QR code that opens the verify page.

Number: TB-<issuing province code, 6 digits>-<issue date yyyymmdd>-<daily sequence, 6 digits>,
e.g. TB-310000-20261124-000123 (the sequence restarts at 1 per province and day).

Hash: HMAC-SHA256 under the service's secret over a canonical encoding of the certificate
number, case id, matter code, masked holder name, masked holder ID number, issuing province
and issue date, as lower-case hex cut to 32 characters (128 bits: forging one means guessing
the key, which is a 256-bit secret). The encoding is versioned and length-prefixed, so no
choice of field values can make two different certificates encode alike.

Only masked personal data is hashed or printed (PIPL art. 28: ID numbers are sensitive).
A clear name or ID number handed in by mistake is masked on the way in, not printed.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from services.shared.pii import mask_id_number, mask_name

HASH_CHARS = 32
CANONICAL_VERSION = b"tongban-certificate-v1"
NUMBER = re.compile(r"TB-(\d{6})-(\d{8})-(\d{6})")
MAX_SEQUENCE = 999_999
FONT_ZH = "STSong-Light"  # a CID font every PDF reader ships: no font file to bundle
FONT_LATIN = "Helvetica"


@dataclass(frozen=True)
class CertificateFields:
    number: str
    case_id: str
    matter_code: str
    matter_zh: str
    matter_en: str
    holder_masked: str
    holder_id_masked: str
    province: str
    province_zh: str
    issued_on: date

    def __post_init__(self) -> None:
        # masked forms always contain '*'; anything else is clear data that must not leak
        if "*" not in self.holder_masked:
            object.__setattr__(self, "holder_masked", mask_name(self.holder_masked))
        if "*" not in self.holder_id_masked:
            object.__setattr__(self, "holder_id_masked", mask_id_number(self.holder_id_masked))


def certificate_number(province: str, issued_on: date, sequence: int) -> str:
    """TB-<province>-<yyyymmdd>-<6-digit daily sequence>, e.g. TB-310000-20261124-000123."""
    if not re.fullmatch(r"\d{6}", province):
        raise ValueError(f"a province code has six digits: {province!r}")
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"the daily sequence runs from 1 to {MAX_SEQUENCE}: {sequence}")
    return f"TB-{province}-{issued_on:%Y%m%d}-{sequence:06d}"


def parse_certificate_number(number: str) -> tuple[str, date, int] | None:
    """(province, issue date, sequence), or None for anything that is not a number we issue
    (the verify page answers "not genuine" without a database lookup)."""
    match = NUMBER.fullmatch(number.strip())
    if match is None:
        return None
    province, day, sequence = match.groups()
    try:
        issued_on = date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError:
        return None
    if int(sequence) < 1:
        return None
    return province, issued_on, int(sequence)


def canonical(fields: CertificateFields) -> bytes:
    """What the hash covers: each field as UTF-8, preceded by its length."""
    parts = [
        fields.number,
        fields.case_id,
        fields.matter_code,
        fields.holder_masked,
        fields.holder_id_masked,
        fields.province,
        fields.issued_on.isoformat(),
    ]
    out = bytearray(CANONICAL_VERSION)
    for part in parts:
        raw = part.encode("utf-8")
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def verification_hash(secret: bytes, fields: CertificateFields) -> str:
    if not secret:
        raise ValueError("the certificate secret is empty")
    return hmac.new(secret, canonical(fields), hashlib.sha256).hexdigest()[:HASH_CHARS]


def verify(secret: bytes, fields: CertificateFields, presented_hash: str) -> bool:
    """Constant-time check of a hash typed or scanned by anyone (case and spaces forgiven)."""
    expected = verification_hash(secret, fields).encode("ascii")
    # bytes, not str: compare_digest refuses non-ASCII str, and the input is untrusted
    presented = presented_hash.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, presented)


def verify_url(base_url: str, number: str, digest: str) -> str:
    return f"{base_url.rstrip('/')}/verify?{urlencode({'n': number, 'h': digest})}"


# ---------------------------------------------------------------- the PDF


def render_pdf(fields: CertificateFields, digest: str, base_url: str, *, compress: bool = False) -> bytes:
    """An A4 certificate. Deterministic bytes for the same input (reportlab's invariant mode),
    so a stored PDF can be re-rendered and compared; uncompressed by default, which keeps
    the number and hash greppable in the file for audits at the cost of a few kilobytes."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_fonts()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1, pageCompression=1 if compress else 0)
    page.setTitle(f"跨省通办电子证明 {fields.number}")
    page.setAuthor("Tongban 通办")
    page.setSubject(f"{fields.matter_code} {fields.case_id}")
    width, height = A4
    margin = 56.0

    page.setLineWidth(1.5)
    page.rect(margin - 20, margin - 20, width - 2 * (margin - 20), height - 2 * (margin - 20))
    page.setFont(FONT_ZH, 22)
    page.drawCentredString(width / 2, height - 100, "跨省通办 办理结果电子证明")
    page.setFont(FONT_LATIN, 13)
    page.drawCentredString(width / 2, height - 122, "Cross-province handling: certificate of result")

    rows = [
        ("证明编号 Certificate No.", fields.number),
        ("案件编号 Case No.", fields.case_id),
        ("事项 Matter", fields.matter_zh),
        ("", fields.matter_en),
        ("事项编码 Matter code", fields.matter_code),
        ("持证人 Holder", fields.holder_masked),
        ("证件号码 ID number", fields.holder_id_masked),
        ("办理省份 Issuing province", f"{fields.province_zh} ({fields.province})"),
        ("签发日期 Issued on", fields.issued_on.isoformat()),
        ("校验码 Verification hash", digest),
    ]
    value_x = margin + 170
    y = height - 180
    for caption, value in rows:
        if caption:
            _fit(page, caption, FONT_ZH, 11, margin, y, value_x - margin - 8)
        # ASCII in a Latin font: crisper, and plain text in the file for machine checks
        _fit(
            page, value, FONT_LATIN if value.isascii() else FONT_ZH, 12, value_x, y, width - margin - value_x
        )
        y -= 26

    qr_size = 130.0
    url = verify_url(base_url, fields.number, digest)
    widget = QrCodeWidget(url, barLevel="M")  # M: survives a creased or badly printed copy
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, page, width - margin - qr_size, margin + 10)

    page.setFont(FONT_ZH, 10)
    page.drawString(margin, margin + 96, "扫描二维码或访问核验页面，输入证明编号与校验码即可核验真伪。")
    page.setFont(FONT_LATIN, 9)
    page.drawString(margin, margin + 82, "Scan the code, or open the verify page and enter the")
    page.drawString(margin, margin + 70, "certificate number and verification hash.")
    _fit(page, url, FONT_LATIN, 8, margin, margin + 50, width - 2 * margin - qr_size - 10)
    page.setFont(FONT_ZH, 9)
    page.drawString(margin, margin + 24, "本证明仅显示脱敏后的个人信息。")
    page.setFont(FONT_LATIN, 8)
    page.drawString(margin, margin + 12, "Personal data on this certificate is masked.")
    page.showPage()
    page.save()
    return out.getvalue()


_fonts_registered = False


def _register_fonts() -> None:
    global _fonts_registered
    if _fonts_registered:
        return
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FONT_ZH))
    _fonts_registered = True


def _fit(page: Any, text: str, font: str, size: float, x: float, y: float, max_width: float) -> None:
    """Draws `text` at `size`, or smaller (down to 6 pt) so a long matter name stays inside."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    while size > 6 and stringWidth(text, font, size) > max_width:
        size -= 0.5
    page.setFont(font, size)
    page.drawString(x, y, text)
