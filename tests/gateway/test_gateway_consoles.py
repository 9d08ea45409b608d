"""The consoles as files: served with their stable test ids and strict security headers, no
CDN, no inline script or style (the CSP forbids both). The consoles in a browser are
test_gateway_browser.py's journey."""

from __future__ import annotations

import re
from pathlib import Path

from tests.gateway.gateway_support import RealStack

STATIC = Path(__file__).resolve().parents[2] / "gateway" / "static"
TEST_IDS = {
    "/kiosk/": [
        "lang-zh",
        "lang-en",
        "toggle-contrast",
        "matter-search",
        "applicant-name",
        "applicant-id",
        "applicant-phone",
        "delivery-method",
        "identity-next",
        "camera-preview",
        "submit-application",
        "queue-position",
        "queue-eta",
        "remote-video",
        "local-video",
        "official-summary",
        "confirm-summary",
        "decision-outcome",
        "certificate-link",
        "rating-comment",
        "submit-rating",
        "rating-done",
        "error-banner",
        "device-key-input",
        "cancel-application",
        "idle-warning",
        "idle-countdown",
        "idle-continue",
    ],
    "/official/": [
        "login-username",
        "login-password",
        "login-submit",
        "presence-select",
        "away-reason",
        "presence-apply",
        "presence-state",
        "offer",
        "offer-countdown",
        "offer-accept",
        "offer-reject",
        "case-details",
        "material-list",
        "material-viewer",
        "remote-video",
        "local-video",
        "window-join",
        "summary-text",
        "summary-send",
        "applicant-confirmation",
        "decision-outcome",
        "decision-submit",
        "decision-result",
        "finish-case",
        "finish-result",
    ],
    "/operator/": [
        "login-username",
        "login-password",
        "login-submit",
        "filter-type",
        "filter-province",
        "filter-case",
        "filter-apply",
        "event-stream",
        "chart-rates",
        "chart-queues",
        "sla-breaches",
        "window-quality",
        "satisfaction",
        "lag-table",
        "timeline-case",
        "timeline-lookup",
        "timeline",
        "dead-letters",
        "stats-table",
    ],
    "/admin/": [
        "login-username",
        "login-password",
        "login-submit",
        "account-table",
        "accounts-include-disabled",
        "account-result",
        "new-username",
        "new-password",
        "new-role",
        "new-submit",
        "device-table",
        "device-hall",
        "device-submit",
        "device-key",
        "audit-case",
        "audit-lookup",
        "audit-table",
    ],
}


async def test_consoles_are_served_with_test_ids_and_strict_headers(stack: RealStack) -> None:
    async with stack.gateway.client() as client:
        for path, ids in TEST_IDS.items():
            page = await client.get(path)
            assert page.status_code == 200, path
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert page.headers["x-content-type-options"] == "nosniff"
            found = set(re.findall(r'data-testid="([^"]+)"', page.text))
            assert set(ids) <= found, (path, set(ids) - found)
        for path in ("/", "/kiosk/kiosk.js", "/static/api.js", "/static/signin.js", "/static/base.css"):
            assert (await client.get(path)).status_code == 200, path
        assert (await client.get("/docs")).status_code == 404  # its page would load a CDN
        spec = (await client.get("/openapi.json")).json()
        assert "/api/v1/kiosk/cases/{case_id}/materials" in spec["paths"]
        assert (await client.get("/kiosk", follow_redirects=True)).url.path == "/kiosk/"
    for file in STATIC.rglob("*"):
        if file.suffix in {".html", ".js", ".css"}:
            text = file.read_text(encoding="utf-8")
            assert not re.search(r"(src|href)=\"https?://", text), file  # no CDN, no remote assets
            assert 'style="' not in text and "<style" not in text, file  # CSP: no inline styles
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), file  # CSP: no inline scripts
