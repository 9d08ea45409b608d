"""Finding 8, the smaller ones, each attacked on the real stack (compose's coturn has a
file of its own, test_turn_peers.py):

- a request_id replayed from another hall gets that hall its own new case, not the first
  person's case with a fresh token; intake itself refuses another hall's request_id;
- outside dev every answer carries HSTS and cookies are Secure;
- an old, cheaper scrypt hash is replaced at the next sign-in;
- a WebSocket ends when its session does: signing out here, or the session removed on
  another replica;
- reading a case and an operator's timeline view are in the audit trail;
- free text with an ID or phone number is refused before it goes into an event, at the
  gateway and at the services;
- intake receives at most so many uploads at once (each is held whole): more get 429;
- a kiosk creates only so many applications a minute, an address checks only so many
  certificates.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import grpc
import httpx
import pytest

from gateway import passwords
from services.intake.config import IntakeSettings
from services.shared.errors import parse_rpc_error
from tests.gateway.gateway_support import (
    CREDENTIALS,
    JPEG,
    KIOSK_KEY,
    RealStack,
    RunningGateway,
    Socket,
    assert_error,
    assigned,
    bearer,
    kiosk_case,
    kiosk_headers,
    signed_in,
    start_gateway,
    submitted_case,
    upload,
    username_of,
)
from tests.security.security_support import QueueProvince, on_duty
from tests.support import eventually
from tongban.intake.v1 import intake_pb2, intake_pb2_grpc
from tongban.results.v1 import results_pb2, results_pb2_grpc

SHANGHAI_KIOSK = CREDENTIALS["hall-310101-01"][1]


def application_body(request_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "applicant_name": "张三",
        "id_number": "11010519491231002X",
        "phone": "13812345678",
        "matter_code": "HF-TRANSFER",
        "target_province": QueueProvince.get(),
        **fields,
    }


# ------------------------------------------------------------------ request ids per hall


async def test_a_request_id_from_another_hall_is_another_request(stack: RealStack) -> None:
    request_id = f"replayed-{uuid.uuid4().hex[:8]}"
    async with stack.gateway.client() as client:
        first = await client.post(
            "/api/v1/kiosk/applications", headers=kiosk_headers(), json=application_body(request_id)
        )
        retried = await client.post(
            "/api/v1/kiosk/applications", headers=kiosk_headers(), json=application_body(request_id)
        )
        replayed = await client.post(
            "/api/v1/kiosk/applications",
            headers=kiosk_headers(SHANGHAI_KIOSK),
            json=application_body(request_id, applicant_name="李四", id_number="440524188001010014"),
        )
    assert first.status_code == retried.status_code == replayed.status_code == 201
    assert first.json()["case_id"] == retried.json()["case_id"]  # the kiosk's own retry
    assert replayed.json()["case_id"] != first.json()["case_id"]
    assert replayed.json()["application"]["applicant"]["name"] == "李*"  # not the first person
    assert replayed.json()["application"]["hall_id"] == "hall-310101-01"
    # intake itself: a request id already used at the Hefei hall, from the Shanghai hall
    async with grpc.aio.insecure_channel(stack.services["intake"]) as channel:
        stub = intake_pb2_grpc.IntakeServiceStub(channel)
        request = intake_pb2.CreateApplicationRequest(
            request_id=f"direct-{request_id}",
            applicant_name="张三",
            id_number="11010519491231002X",
            phone="13812345678",
            matter_code="HF-TRANSFER",
            target_province=QueueProvince.get(),
        )
        request.hall_id = "hall-340104-01"
        await stub.CreateApplication(request)
        request.hall_id = "hall-310101-01"
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.CreateApplication(request)
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS


# ------------------------------------------------------------------ HSTS and Secure cookies


async def test_outside_dev_answers_carry_hsts_and_cookies_are_secure(stack: RealStack) -> None:
    production = await start_gateway(
        stack.settings(environment="production", seed_dev_accounts=False, live_events=False)
    )
    try:
        async with production.client() as client:
            for path in ("/", "/kiosk/", "/api/v1/provinces"):
                assert "max-age=31536000" in (await client.get(path)).headers["strict-transport-security"]
            login = await client.post(
                "/api/v1/auth/login",
                json={"username": "operator-1", "password": CREDENTIALS["operator-1"][1]},
            )
            assert login.status_code == 200
            cookies = login.headers.get_list("set-cookie")
            assert cookies and all("Secure" in c for c in cookies)
    finally:
        await production.stop()
    async with stack.gateway.client() as dev:  # the dev stack: plain HTTP on 127.0.0.1
        assert "strict-transport-security" not in (await dev.get("/")).headers
        login = await dev.post(
            "/api/v1/auth/login", json={"username": "operator-1", "password": CREDENTIALS["operator-1"][1]}
        )
        assert not any("Secure" in c for c in login.headers.get_list("set-cookie"))


# ------------------------------------------------------------------ scrypt at today's cost


async def test_an_old_password_hash_is_replaced_at_sign_in(stack: RealStack) -> None:
    async with signed_in(stack.gateway, "admin-1") as admin:
        username = f"old-hash-{uuid.uuid4().hex[:6]}"
        made = await admin.post(
            "/api/v1/admin/accounts",
            json={
                "username": username,
                "password": "an-old-password-1",
                "role": "operator",
                "must_change_password": False,
            },
        )
        assert made.status_code == 201
    conn = await asyncpg.connect(stack.gateway.settings.database_url)
    try:
        old = passwords.hash_password("an-old-password-1", n=2**14)
        await conn.execute("UPDATE accounts SET password_hash = $2 WHERE username = $1", username, old)
        async with stack.gateway.client() as client:
            reply = await client.post(
                "/api/v1/auth/login", json={"username": username, "password": "an-old-password-1"}
            )
            assert reply.status_code == 200
        stored = await conn.fetchval("SELECT password_hash FROM accounts WHERE username = $1", username)
    finally:
        await conn.close()
    assert stored != old and stored.startswith(f"scrypt${2**17}$8$1$")
    assert passwords.verify_password("an-old-password-1", stored)


# ------------------------------------------------------------------ sockets end with sessions


async def test_a_socket_ends_with_its_session(stack: RealStack) -> None:
    gateway = stack.gateway
    ws_url = gateway.url.replace("http", "ws")
    async with aiohttp.ClientSession() as http:
        for how in ("signed out here", "removed on another replica"):
            async with gateway.client() as client:
                reply = await client.post(
                    "/api/v1/auth/login",
                    json={"username": "operator-1", "password": CREDENTIALS["operator-1"][1]},
                )
                client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
                cookie = {"Cookie": f"tongban_session={client.cookies['tongban_session']}"}
                socket = Socket(await http.ws_connect(f"{ws_url}/ws/operator", headers=cookie))
                await eventually(lambda s=socket: s.messages, timeout=10)
                if how == "signed out here":
                    assert (await client.post("/api/v1/auth/logout")).status_code == 200
                else:  # what another replica's sign-out does: the session row goes
                    conn = await asyncpg.connect(gateway.settings.database_url)
                    try:
                        await conn.execute(
                            "DELETE FROM sessions WHERE csrf_token = $1", client.headers["X-CSRF-Token"]
                        )
                    finally:
                        await conn.close()
                await eventually(lambda s=socket: s.ws.closed, timeout=45)
                assert socket.ws.close_code == 4401, how
                assert socket.messages[-1]["error"]["code"] == "session_ended"


# ------------------------------------------------------------------ audit of reads


async def test_case_reads_and_timeline_views_are_audited(stack: RealStack) -> None:
    gateway = stack.gateway
    async with (
        gateway.client() as kiosk,
        on_duty(gateway, QueueProvince.get()) as official,
        signed_in(gateway, "operator-1") as operator,
        signed_in(gateway, "admin-1") as admin,
    ):
        case_id, _ = await submitted_case(kiosk, QueueProvince.get())
        try:
            await assigned(official, case_id)
            assert (await official.get(f"/api/v1/official/cases/{case_id}")).status_code == 200

            async def timeline() -> bool:
                return (await operator.get(f"/api/v1/operator/cases/{case_id}/timeline")).status_code == 200

            await eventually(timeline, timeout=60, interval=0.5)
            entries = (await admin.get("/api/v1/admin/audit", params={"case_id": case_id})).json()["entries"]
            seen = {(e["actor"], e["action"]) for e in entries}
            assert (username_of(official), "case_viewed") in seen
            assert ("operator-1", "timeline_viewed") in seen
            assert all(e["client"] == "127.0.0.1" for e in entries if e["action"].endswith("_viewed"))
        finally:
            await official.post(f"/api/v1/official/cases/{case_id}/finish")


# ------------------------------------------------------------------ free text


async def test_free_text_with_personal_numbers_never_reaches_an_event(stack: RealStack) -> None:
    case_id = str(uuid.uuid4())
    async with signed_in(stack.gateway, "sh-official-1") as official, stack.gateway.client() as kiosk:
        attempts = [
            (
                official,
                f"/api/v1/official/cases/{case_id}/decision",
                {"outcome": "rejected", "legal_basis": "申请人 11010519491231002X"},
                "legal_basis",
            ),
            (
                official,
                f"/api/v1/official/cases/{case_id}/decision",
                {"outcome": "rejected", "reason_code": "call 13812345678"},
                "reason_code",
            ),
            (
                official,
                f"/api/v1/official/cases/{case_id}/summary",
                {"summary": "电话 138 1234 5678"},
                "summary",
            ),
            (official, "/api/v1/official/reservations/r-1/reject", {"reason": "0571-88123456"}, "reason"),
            (official, "/api/v1/official/presence", {"presence": "away", "reason": "13812345678"}, "reason"),
        ]
        own_case, token = await kiosk_case(kiosk, QueueProvince.get())
        attempts += [
            (kiosk, f"/api/v1/kiosk/cases/{own_case}/cancel", {"reason": "13812345678"}, "reason"),
            (
                kiosk,
                f"/api/v1/kiosk/cases/{own_case}/confirm",
                {"confirmed": False, "note": "我的身份证 11010519491231002X"},
                "note",
            ),
            (
                kiosk,
                f"/api/v1/kiosk/cases/{own_case}/evaluation",
                {"level": 1, "comment": "打 13812345678"},
                "comment",
            ),
        ]
        for client, path, body, field in attempts:
            headers = bearer(token) if client is kiosk else {}
            error = assert_error(await client.post(path, json=body, headers=headers), 400)
            assert error["fields"][0]["field"] == field and error["fields"][0]["code"] == "personal_data", (
                path
            )
            assert "身份证" in error["fields"][0]["message_zh"]
    # the services refuse it too, for any caller that is not the gateway
    async with grpc.aio.insecure_channel(stack.services["results"]) as channel:
        results = results_pb2_grpc.ResultsServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await results.RecordDecision(
                results_pb2.RecordDecisionRequest(
                    case_id=case_id,
                    official_id="sh-official-1",
                    province="310000",
                    outcome="DECISION_OUTCOME_REJECTED",
                    reason_code="R1",
                    legal_basis="见 11010519491231002X",
                )
            )
        parsed = parse_rpc_error(refused.value)
        assert parsed.code == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in parsed.violations] == ["legal_basis"]
    async with grpc.aio.insecure_channel(stack.services["intake"]) as channel:
        intake = intake_pb2_grpc.IntakeServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await intake.CancelApplication(
                intake_pb2.CancelApplicationRequest(case_id=own_case, reason="13812345678")
            )
        assert [v.field for v in parse_rpc_error(refused.value).violations] == ["reason"]


# ------------------------------------------------------------------ uploads held at once


@pytest.fixture
async def held_uploads(stack: RealStack) -> AsyncIterator[list[Any]]:
    """Every upload slot of the stack's intake held by an upload that sends its header and
    then waits."""
    slots = IntakeSettings.__dataclass_fields__["concurrent_uploads"].default
    release = asyncio.Event()
    calls: list[Any] = []
    async with grpc.aio.insecure_channel(stack.services["intake"]) as channel:
        stub = intake_pb2_grpc.IntakeServiceStub(channel)

        async def slow() -> AsyncIterator[intake_pb2.UploadMaterialRequest]:
            yield intake_pb2.UploadMaterialRequest(
                header=intake_pb2.UploadHeader(case_id=str(uuid.uuid4()), material_code="id_card"),
                data=b"\xff",
            )
            await release.wait()

        for _ in range(slots):
            calls.append(stub.UploadMaterial(slow()))
        try:
            yield calls
        finally:
            release.set()
            for call in calls:
                call.cancel()


async def test_intake_takes_only_so_many_uploads_at_once(stack: RealStack, held_uploads: list[Any]) -> None:
    async with stack.gateway.client() as client:
        case_id, token = await kiosk_case(client, QueueProvince.get())

        async def refused() -> httpx.Response | None:
            reply = await upload(client, case_id, token, "id_card", JPEG)
            return reply if reply.status_code == 429 else None

        error = assert_error(await eventually(refused, timeout=30, interval=0.2), 429)
        assert error["message_zh"] and "uploads" in error["message_en"]
        for call in held_uploads:
            call.cancel()

        async def stored() -> httpx.Response | None:
            reply = await upload(client, case_id, token, "id_card", JPEG)
            return reply if reply.status_code == 201 else None

        assert (await eventually(stored, timeout=30, interval=0.3)).json()["material"]["size"] == len(JPEG)


# ------------------------------------------------------------------ rates


@pytest.fixture(scope="module")
async def rated(stack: RealStack) -> AsyncIterator[RunningGateway]:
    gateway = await start_gateway(
        stack.settings(kiosk_applications_per_minute=2, verify_per_minute=3, live_events=False)
    )
    yield gateway
    await gateway.stop()


async def test_a_kiosk_creates_only_so_many_applications_a_minute(rated: RunningGateway) -> None:
    async with rated.client() as client:
        statuses = []
        for _ in range(3):
            reply = await client.post(
                "/api/v1/kiosk/applications",
                headers=kiosk_headers(KIOSK_KEY),
                json=application_body(str(uuid.uuid4())),
            )
            statuses.append(reply.status_code)
        assert statuses == [201, 201, 429]
        assert 0 < int(reply.headers["retry-after"]) <= 60
        other = await client.post(
            "/api/v1/kiosk/applications",
            headers=kiosk_headers(SHANGHAI_KIOSK),
            json=application_body(str(uuid.uuid4())),
        )
        assert other.status_code == 201  # another kiosk is not held back


async def test_an_address_checks_only_so_many_certificates_a_minute(rated: RunningGateway) -> None:
    async with rated.client("127.0.0.14") as client:
        params = {"n": "TB-310000-20250101-0001", "h": "0" * 64}
        statuses = [
            (await client.get("/api/v1/certificates/verify", params=params)).status_code for _ in range(3)
        ]
        assert 429 not in statuses
        assert_error(await client.get("/api/v1/certificates/verify", params=params), 429)
        page = await client.get("/verify", params=params)
        assert page.status_code == 429 and "过于频繁" in page.text
    async with rated.client("127.0.0.15") as elsewhere:
        assert (await elsewhere.get("/api/v1/certificates/verify", params=params)).status_code != 429
