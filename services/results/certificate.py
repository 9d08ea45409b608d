"""Electronic certificates (电子证照): a number, a keyed verification hash anyone can check
through the verify RPC or page, and a PDF that carries both and a QR code to the verify page.
Only masked personal data is printed."""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

HASH_CHARS = 32


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


def certificate_number(province: str, issued_on: date, sequence: int) -> str:
    """TB-<province>-<yyyymmdd>-<6-digit daily sequence>, e.g. TB-310000-20261124-000123."""
    return f"TB-{province}-{issued_on:%Y%m%d}-{sequence:06d}"


def _canonical(fields: CertificateFields) -> bytes:
    parts = [fields.number, fields.case_id, fields.matter_code, fields.holder_masked,
             fields.holder_id_masked, fields.province, fields.issued_on.isoformat()]
    return "\x1f".join(parts).encode()  # unit separator: no field can fake a boundary


def verification_hash(secret: bytes, fields: CertificateFields) -> str:
    return hmac.new(secret, _canonical(fields), hashlib.sha256).hexdigest()[:HASH_CHARS]


def verify(secret: bytes, fields: CertificateFields, presented_hash: str) -> bool:
    return hmac.compare_digest(verification_hash(secret, fields), presented_hash.strip().lower())


def verify_url(base_url: str, number: str, digest: str) -> str:
    return f"{base_url.rstrip('/')}/verify?{urlencode({'n': number, 'h': digest})}"


def render_pdf(fields: CertificateFields, digest: str, base_url: str) -> bytes:
    """An A4 certificate; Chinese through reportlab's built-in CID font (no font file)."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1, pageCompression=0)
    page.setTitle(f"Tongban certificate {fields.number}")
    width, height = A4
    page.setFont("STSong-Light", 22)
    page.drawCentredString(width / 2, height - 90, "跨省通办 办理结果电子证明")
    page.setFont("Helvetica", 13)
    page.drawCentredString(width / 2, height - 112, "Cross-province handling: certificate of result")
    lines = [
        ("证明编号 Certificate No.", fields.number),
        ("案件编号 Case", fields.case_id),
        ("事项 Matter", f"{fields.matter_zh} / {fields.matter_en}"),
        ("持证人 Holder", fields.holder_masked),
        ("证件号码 ID number", fields.holder_id_masked),
        ("办理省份 Issuing province", f"{fields.province_zh} ({fields.province})"),
        ("签发日期 Issued on", fields.issued_on.isoformat()),
        ("校验码 Verification hash", digest),
    ]
    y = height - 170
    for label, value in lines:
        page.setFont("STSong-Light", 12)
        page.drawString(60, y, label)
        # ASCII values in a Latin font: crisper, and plain text in the PDF for machine checks
        page.setFont("Helvetica" if value.isascii() else "STSong-Light", 12)
        page.drawString(230, y, value)
        y -= 28
    url = verify_url(base_url, fields.number, digest)
    widget = QrCodeWidget(url)
    x0, y0, x1, y1 = widget.getBounds()
    size = 130.0
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, page, width - 60 - size, 80)
    page.setFont("STSong-Light", 10)
    page.drawString(60, 120, "扫描二维码或访问核验页面，输入证明编号与校验码即可核验真伪。")
    page.drawString(60, 104, "Scan the code or open the verify page with the number and hash.")
    page.showPage()
    page.save()
    return out.getvalue()
