"""The kiosk's matter finder through the gateway: the hall from the device key, the province's
figures from results ranking the quick picks, and the figures' cache on its own."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from gateway.errors import ApiError
from gateway.frequencies import FRESH_S, RETRY_S, MatterFrequencies, counts_by_matter
from tests.gateway.gateway_support import (
    CREDENTIALS,
    JPEG,
    RealStack,
    assert_error,
    bearer,
    kiosk_headers,
    staff,
    upload,
)
from tests.support import eventually
from tongban.results.v1 import results_pb2

SHANGHAI_KEY = CREDENTIALS["hall-310101-01"][1]  # no other gateway test applies at this hall
RARE = "TX-TAX-PROOF"  # one key material, and not among the national quick picks' first


async def find(client: httpx.AsyncClient, key: str, **params: Any) -> dict[str, Any]:
    reply = await client.get("/api/v1/kiosk/matters", params=params, headers=kiosk_headers(key))
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()
    return found


async def test_the_kiosk_finds_matters_the_way_people_type(stack: RealStack) -> None:
    async with stack.gateway.client() as client:
        key = CREDENTIALS["hall-340104-01"][1]
        for query in ("退休了公积金怎么取", "txtq gjj", "retirment housing fund"):
            found = await find(client, key, q=query)
            assert found["outcome"] == "matched"
            assert found["matters"][0]["code"] == "HF-WITHDRAW-RETIRE", query
            assert found["matters"][0]["score"] > 0 and found["matters"][0]["materials"]
        picks = await find(client, key, limit=5)
        assert picks["outcome"] == "quick_picks" and len(picks["matters"]) == 5
        assert (await find(client, key, q="qwertyuiop"))["outcome"] == "no_match"
        assert_error(
            await client.get("/api/v1/kiosk/matters", params={"q": "x" * 101}, headers=kiosk_headers(key)),
            400,
        )
        assert_error(
            await client.get("/api/v1/kiosk/matters", params={"limit": 0}, headers=kiosk_headers(key)), 400
        )
        assert_error(await client.get("/api/v1/kiosk/matters"), 401)


async def test_the_provinces_frequent_matters_are_the_quick_picks(stack: RealStack, province: str) -> None:
    async with stack.gateway.client() as client:
        for _ in range(2):
            reply = await client.post(
                "/api/v1/kiosk/applications",
                headers=kiosk_headers(SHANGHAI_KEY),
                json={
                    "request_id": str(uuid.uuid4()),
                    "applicant_name": "李四",
                    "id_number": "11010519491231002X",
                    "phone": "13812345678",
                    "matter_code": RARE,
                    "target_province": province,
                },
            )
            assert reply.status_code == 201, reply.text
            case_id, token = reply.json()["case_id"], reply.json()["applicant_token"]
            assert (
                await upload(client, case_id, token, "id_card", JPEG, key=SHANGHAI_KEY)
            ).status_code == 201
            submitted = await client.post(
                f"/api/v1/kiosk/cases/{case_id}/submit", headers=bearer(token, SHANGHAI_KEY)
            )
            assert submitted.status_code == 200, submitted.text
        async with staff(stack.gateway, "operator") as operator:

            async def counted() -> bool:
                rows = (
                    await operator.get("/api/v1/operator/stats", params={"hall_province": "310000"})
                ).json()
                return any(r["matter_code"] == RARE and r["volume"] >= 2 for r in rows.get("rows", []))

            await eventually(counted, timeout=90)
        picks = await find(client, SHANGHAI_KEY)  # the national list would start otherwise
        assert picks["outcome"] == "quick_picks" and picks["matters"][0]["code"] == RARE


class FakeResults:
    """Stands in for the gateway's Services: GetStats answers or fails as told."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail = False
        self.rows: list[results_pb2.StatsRow] = []

    async def call(self, service: str, method: str, request: Any, timeout: float | None = None) -> Any:
        assert (service, method) == ("results", "GetStats") and request.hall_province == "340000"
        self.calls += 1
        if self.fail:
            raise ApiError(503, "service_unavailable", "结果服务不可用", "results is unavailable")
        return results_pb2.GetStatsResponse(rows=self.rows)


def row(matter: str, target: str, volume: int) -> results_pb2.StatsRow:
    return results_pb2.StatsRow(
        hall_province="340000", target_province=target, matter_code=matter, volume=volume
    )


def test_counts_are_summed_over_target_provinces() -> None:
    rows = [row("SI-CARD", "310000", 3), row("SI-CARD", "320000", 4), row("PS-NO-CRIME", "310000", 1)]
    assert counts_by_matter(rows) == {"SI-CARD": 7, "PS-NO-CRIME": 1}


async def test_figures_are_kept_while_fresh_and_results_down_means_none() -> None:
    now = [1000.0]
    results = FakeResults()
    frequencies = MatterFrequencies(clock=lambda: now[0])
    services: Any = results
    results.fail = True
    assert await frequencies.counts(services, "340000") == {}
    assert (
        await frequencies.counts(services, "340000") == {} and results.calls == 1
    )  # not asked again at once
    now[0] += RETRY_S + 1
    results.fail, results.rows = False, [row("SI-CARD", "310000", 5)]
    assert await frequencies.counts(services, "340000") == {"SI-CARD": 5} and results.calls == 2
    results.rows = [row("SI-CARD", "310000", 9)]
    assert await frequencies.counts(services, "340000") == {"SI-CARD": 5}  # still fresh
    now[0] += FRESH_S + 1
    results.fail = True  # the last figures stand in while results is down
    assert await frequencies.counts(services, "340000") == {"SI-CARD": 5} and results.calls == 3
    now[0] += RETRY_S + 1
    results.fail = False
    assert await frequencies.counts(services, "340000") == {"SI-CARD": 9}
