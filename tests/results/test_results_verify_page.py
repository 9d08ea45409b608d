"""The gateway's public verify page against the real results service."""

from __future__ import annotations

import httpx

from gateway.app import create_app
from gateway.config import GatewaySettings
from tests.results.results_support import RunningResults
from tests.results.test_results_service import decision, ready_case


async def test_the_qr_link_says_genuine_and_a_forged_hash_is_refused(
    results: RunningResults,
) -> None:
    case_id = await ready_case(results)
    await results.stub.RecordDecision(decision(case_id))
    number, digest = await results.pool.fetchrow(
        "SELECT number, hash FROM certificates WHERE case_id = $1", case_id
    )
    app = create_app(GatewaySettings(results_addr=results.address, services=[]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        genuine = await client.get("/verify", params={"n": number, "h": digest})
        assert genuine.status_code == 200
        assert "真实有效 / Genuine" in genuine.text and "张*" in genuine.text
        forged = await client.get("/verify", params={"n": number, "h": "0" * 32})
        assert "未通过核验 / Not genuine" in forged.text
        data = (await client.get("/api/v1/certificates/verify", params={"n": number, "h": digest})).json()
        assert data["genuine"] is True and data["province"] == "310000"
