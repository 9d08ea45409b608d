"""Who sees what, enforced by the gateway against the real services: officials only their
province's cases offered or assigned to them, applicants only their own case, operators
everything but masked."""

from __future__ import annotations

import httpx

from services.shared.catalog import load_catalog
from tests.gateway.gateway_support import (
    KIOSK_PROVINCE,
    RealStack,
    assert_error,
    assigned,
    bearer,
    kiosk_case,
    offered,
    signed_in,
    staff,
    start_gateway,
    submitted_case,
    username_of,
)
from tests.support import eventually

CLEAR = ("11010519491231002X", "13812345678", "张三")  # what the kiosk typed in


def other_province(province: str) -> str:
    return next(
        p.code for p in load_catalog().provinces() if p.code not in {province, KIOSK_PROVINCE, "310000"}
    )


async def decide(official: httpx.AsyncClient, case_id: str) -> httpx.Response:
    """Approves once results has the assignment (the projection follows the events)."""

    async def attempt() -> httpx.Response | None:
        reply = await official.post(
            f"/api/v1/official/cases/{case_id}/decision",
            json={"outcome": "approved", "result_kind": "certificate", "delivery_method": "e_certificate"},
        )
        return reply if reply.status_code != 409 else None

    found: httpx.Response = await eventually(attempt, timeout=30, interval=0.3)
    return found


async def test_an_official_of_another_province_gets_403_on_a_case(stack: RealStack, province: str) -> None:
    gateway = stack.gateway
    async with (
        gateway.client() as kiosk,
        staff(gateway, "official", province) as holder,
        staff(gateway, "official", other_province(province)) as stranger,
    ):
        case_id, _ = await submitted_case(kiosk, province)
        await assigned(holder, case_id)
        material = (await holder.get(f"/api/v1/official/cases/{case_id}")).json()["application"]["materials"][
            0
        ]["id"]
        error = assert_error(await stranger.get(f"/api/v1/official/cases/{case_id}"), 403)
        assert "province" in error["message_en"]
        assert_error(
            await stranger.post(f"/api/v1/official/cases/{case_id}/decision", json={"outcome": "approved"}),
            403,
        )
        assert_error(await stranger.get(f"/api/v1/official/cases/{case_id}/materials/{material}"), 403)
        assert_error(
            await stranger.post(f"/api/v1/official/cases/{case_id}/window/join", json={"sdp": "v=0"}), 403
        )
        # nothing the stranger did reached results: the holder still decides, once
        decided = await decide(holder, case_id)
        assert decided.status_code == 200, decided.text
        assert decided.json()["case"]["official_id"] == username_of(holder)


async def test_the_assigned_official_reads_and_decides_with_the_sessions_identity(
    stack: RealStack,
    province: str,
) -> None:
    gateway = stack.gateway
    async with gateway.client() as kiosk, staff(gateway, "official", province) as official:
        case_id, _ = await submitted_case(kiosk, province)
        await assigned(official, case_id)
        details = await official.get(f"/api/v1/official/cases/{case_id}")
        assert details.status_code == 200, details.text
        assert details.json()["application"]["target_province"] == province
        assert details.json()["matter"]["code"] == "HF-TRANSFER"
        materials = details.json()["application"]["materials"]
        assert {m["code"] for m in materials} == {"id_card", "form", "new_account"}
        image = await official.get(
            f"/api/v1/official/cases/{case_id}/materials/"
            f"{next(m['id'] for m in materials if m['code'] == 'id_card')}"
        )
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert image.headers["content-disposition"].startswith("inline")
        decided = await decide(official, case_id)
        assert decided.status_code == 200, decided.text
        case = decided.json()["case"]
        assert case["outcome"] == "approved" and case["official_id"] == username_of(official)
        assert case["target_province"] == province
        assert_error(
            await official.post(
                f"/api/v1/official/cases/{case_id}/decision",
                json={"outcome": "rejected", "reason_code": "x", "legal_basis": "y"},
            ),
            409,
        )  # decided once


async def test_an_official_of_the_province_not_holding_the_case_gets_403(
    stack: RealStack, province: str
) -> None:
    gateway = stack.gateway
    async with (
        gateway.client() as kiosk,
        staff(gateway, "official", province) as holder,
        staff(gateway, "official", province) as colleague,
    ):
        case_id, _ = await submitted_case(kiosk, province)
        await assigned(holder, case_id)
        assert_error(await colleague.get(f"/api/v1/official/cases/{case_id}"), 403)
        assert_error(await colleague.post(f"/api/v1/official/cases/{case_id}/finish"), 403)
        assert_error(
            await colleague.post(f"/api/v1/official/cases/{case_id}/window/join", json={"sdp": "v=0"}), 403
        )
        assert_error(
            await colleague.post(f"/api/v1/official/cases/{case_id}/summary", json={"summary": "not mine"}),
            403,
        )


async def test_an_offered_case_is_readable_but_not_actionable_until_accepted(
    stack: RealStack,
    province: str,
) -> None:
    gateway = stack.gateway
    async with gateway.client() as kiosk, staff(gateway, "official", province) as official:
        case_id, _ = await submitted_case(kiosk, province)
        reservation = await offered(official, case_id)
        assert (await official.get(f"/api/v1/official/cases/{case_id}")).status_code == 200
        assert_error(
            await official.post(f"/api/v1/official/cases/{case_id}/decision", json={"outcome": "approved"}),
            403,
        )
        assert_error(
            await official.post(f"/api/v1/official/cases/{case_id}/window/join", json={"sdp": "v=0"}), 403
        )
        me = (await official.get("/api/v1/official/me")).json()["official"]
        assert me["reservation_id"] == reservation and me["case_id"] == case_id
        assert me["reservation_expires_at"] > 0
        accepted = await official.post(f"/api/v1/official/reservations/{reservation}/accept")
        assert accepted.json() == {"case_id": case_id}
        malformed = await official.post(
            f"/api/v1/official/cases/{case_id}/window/join", json={"sdp": "v=0\r\nnot an offer"}
        )
        assert assert_error(malformed, 400)["fields"][0]["field"] == "sdp"
        finished = await official.post(f"/api/v1/official/cases/{case_id}/finish")
        assert finished.status_code == 200, finished.text
        assert finished.json()["window"]["state"] == "closed"
        me = (await official.get("/api/v1/official/me")).json()["official"]
        assert me["case_id"] == ""  # the router took the case back: the official wraps up


async def test_a_supervisor_reads_the_province_but_cannot_act(stack: RealStack, province: str) -> None:
    gateway = stack.gateway
    async with gateway.client() as kiosk, staff(gateway, "supervisor", province) as supervisor:
        case_id, _ = await kiosk_case(kiosk, province)
        other, _ = await kiosk_case(kiosk, other_province(province))
        assert (await supervisor.get(f"/api/v1/official/cases/{case_id}")).status_code == 200
        assert_error(await supervisor.get(f"/api/v1/official/cases/{other}"), 403)
        assert_error(
            await supervisor.post(f"/api/v1/official/cases/{case_id}/decision", json={"outcome": "approved"}),
            403,
        )
        assert_error(await supervisor.post("/api/v1/official/presence", json={"presence": "available"}), 403)


async def test_an_applicant_token_reads_only_its_own_case(stack: RealStack, province: str) -> None:
    async with stack.gateway.client() as kiosk:
        mine, token = await kiosk_case(kiosk, province)
        other, _ = await kiosk_case(kiosk, province)
        own = await kiosk.get(f"/api/v1/kiosk/cases/{mine}", headers=bearer(token))
        assert own.status_code == 200, own.text
        assert own.json()["application"]["case_id"] == mine
        assert own.json()["application"]["applicant"]["name"] == "张*"
        for path in ("", "/position", "/certificate"):
            assert_error(await kiosk.get(f"/api/v1/kiosk/cases/{other}{path}", headers=bearer(token)), 403)
        for path in ("/submit", "/cancel", "/evaluation", "/confirm", "/window/join"):
            assert_error(
                await kiosk.post(f"/api/v1/kiosk/cases/{other}{path}", json={}, headers=bearer(token)), 403
            )
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert_error(await kiosk.get(f"/api/v1/kiosk/cases/{mine}", headers=bearer(forged)), 401)
        assert_error(await kiosk.get(f"/api/v1/kiosk/cases/{mine}"), 401)
    # a token signed by another gateway's secret opens nothing here
    elsewhere = await start_gateway(
        stack.settings(session_secret="another-secret", seed_dev_accounts=False, live_events=False)
    )
    try:
        async with elsewhere.client() as kiosk:
            _, foreign = await kiosk_case(kiosk, province)
        async with stack.gateway.client() as kiosk:
            assert_error(await kiosk.get(f"/api/v1/kiosk/cases/{mine}", headers=bearer(foreign)), 401)
    finally:
        await elsewhere.stop()


async def test_staff_cannot_use_an_applicant_route_nor_an_applicant_a_staff_route(
    stack: RealStack,
    province: str,
) -> None:
    async with stack.gateway.client() as kiosk:
        case_id, token = await kiosk_case(kiosk, province)
        assert_error(await kiosk.get(f"/api/v1/official/cases/{case_id}", headers=bearer(token)), 401)
        assert_error(await kiosk.get("/api/v1/operator/stats", headers=bearer(token)), 401)
    async with staff(stack.gateway, "official", province) as official:
        assert_error(await official.get("/api/v1/operator/stats"), 403)
        assert_error(await official.get(f"/api/v1/kiosk/cases/{case_id}"), 401)
        assert_error(await official.get("/api/v1/admin/accounts"), 403)


async def test_an_operator_sees_personal_data_masked_only(stack: RealStack, province: str) -> None:
    gateway = stack.gateway
    async with (
        gateway.client() as kiosk,
        staff(gateway, "official", province) as official,
        signed_in(gateway, "operator-1") as operator,
    ):
        case_id, _ = await submitted_case(kiosk, province)
        await assigned(official, case_id)

        async def timeline() -> httpx.Response | None:
            reply = await operator.get(f"/api/v1/operator/cases/{case_id}/timeline")
            kinds = [e["type"] for e in reply.json().get("events", [])]
            return reply if any(k.endswith("CaseAssigned") for k in kinds) else None

        reply = await eventually(timeline, timeout=30, interval=0.3)
        body = reply.json()
        assert body["case"]["applicant"]["id_number"] == "**************002X"
        assert body["case"]["applicant"]["name"] == "张*"
        assert body["case"]["applicant"]["phone"] == "138****5678"
        created = next(e for e in body["events"] if e["type"].endswith("ApplicationCreated"))
        assert created["data"]["applicant"]["id_number"] == "**************002X"
        search = await operator.get("/api/v1/operator/cases", params={"target_province": province})
        assert search.status_code == 200 and case_id in search.text
        details = await official.get(f"/api/v1/official/cases/{case_id}")
        for text in (reply.text, search.text, details.text):
            for clear in CLEAR:
                assert clear not in text
        assert_error(
            await operator.post(f"/api/v1/official/cases/{case_id}/decision", json={"outcome": "approved"}),
            403,
        )
        assert_error(await operator.get(f"/api/v1/official/cases/{case_id}"), 403)


async def test_operator_kafka_views_say_503_when_kafka_is_down(stack: RealStack) -> None:
    """A gateway whose Kafka is unreachable: the operator's Kafka views answer 503 naming it,
    and everything else keeps working."""
    from tools.engines import free_port

    gateway = await start_gateway(
        stack.settings(kafka_bootstrap=f"127.0.0.1:{free_port()}", live_events=False)
    )
    try:
        async with signed_in(gateway, "operator-1") as operator:
            for path in ("/api/v1/operator/lag", "/api/v1/operator/dead-letters"):
                error = assert_error(await operator.get(path), 503)
                assert "Kafka" in error["message_en"] and "Kafka" in error["message_zh"]
            live = await operator.get("/api/v1/operator/live")
            assert live.status_code == 200 and live.json()["events_per_second"] == {}
            assert (await operator.get("/api/v1/operator/stats")).status_code == 200
    finally:
        await gateway.stop()
