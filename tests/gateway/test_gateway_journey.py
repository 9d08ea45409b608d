"""The journey through the gateway's REST and WebSocket API against every real service (each
its own process, as `make dev` runs it): the kiosk applies and uploads, an official of the
owning province is offered the case on their WebSocket and accepts, both parties meet in the
video window through the gateway's signaling relay (aiortc test peers stand in for the
browsers), the summary is confirmed, the official approves and finishes, the applicant sees
the decision and rates, and the operator reads the whole timeline."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp

from cli.botpeer import TestPeer
from services.window.ice import use_loopback_ice
from tests.gateway.gateway_support import (
    JPEG,
    KIOSK_KEY,
    PDF,
    RealStack,
    Socket,
    assigned,
    bearer,
    kiosk_case,
    kiosk_socket,
    offered,
    signed_in,
    staff,
    upload,
)
from tests.support import eventually


async def test_a_whole_case_through_the_gateway(stack: RealStack, province: str) -> None:
    use_loopback_ice()
    gateway = stack.gateway
    ws_url = gateway.url.replace("http", "ws")
    official_id = f"official-{province}-{uuid.uuid4().hex[:4]}"
    peers: list[TestPeer] = []
    async with (
        signed_in(gateway, "admin-1") as admin,
        gateway.client() as kiosk,
        aiohttp.ClientSession() as http,
    ):
        created = await admin.post(
            "/api/v1/admin/accounts",
            json={
                "username": official_id,
                "password": "journey-password-1",
                "role": "official",
                "province": province,
                "department": "housing_fund",
                "display_name": "公积金",
                "must_change_password": False,
            },
        )
        assert created.status_code == 201, created.text

        # the kiosk at the Hefei hall: application, materials (multipart and camera), submit
        reply = await kiosk.post(
            "/api/v1/kiosk/applications",
            headers={"X-Device-Key": KIOSK_KEY},
            json={
                "request_id": str(uuid.uuid4()),
                "applicant_name": "张三",
                "id_number": "11010519491231002X",
                "phone": "13812345678",
                "matter_code": "HF-TRANSFER",
                "target_province": province,
            },
        )
        assert reply.status_code == 201, reply.text
        case_id, token = reply.json()["case_id"], reply.json()["applicant_token"]
        applicant = await kiosk_socket(http, ws_url, token)
        uploads = [
            ("id_card", JPEG, "document_camera"),
            ("form", PDF, "upload"),
            ("new_account", JPEG, "upload"),
        ]
        for code, data, source in uploads:
            stored = await kiosk.post(
                f"/api/v1/kiosk/cases/{case_id}/materials",
                params={"material_code": code, "source": source},
                content=data,
                headers=bearer(token) | {"Content-Type": "application/pdf" if data is PDF else "image/jpeg"},
            )
            assert stored.status_code == 201, stored.text
        submitted = await kiosk.post(f"/api/v1/kiosk/cases/{case_id}/submit", headers=bearer(token))
        assert submitted.json()["application"]["status"] == "submitted"

        async with signed_in(gateway, official_id, "journey-password-1") as official:
            desk = Socket(
                await http.ws_connect(
                    f"{ws_url}/ws/official",
                    headers={"Cookie": f"tongban_session={official.cookies['tongban_session']}"},
                )
            )
            available = await official.post("/api/v1/official/presence", json={"presence": "available"})
            assert available.status_code == 200, available.text

            # the offer reaches the official's WebSocket; the applicant sees the queue
            offer = await eventually(lambda: desk.first("CaseReserved"), timeout=60)
            assert offer["case_id"] == case_id
            position = await kiosk.get(f"/api/v1/kiosk/cases/{case_id}/position", headers=bearer(token))
            assert position.json()["state"] in {"reserved", "queued", "assigned"}
            details = await official.get(f"/api/v1/official/cases/{case_id}")
            assert details.status_code == 200, details.text
            assert details.json()["application"]["applicant"]["id_number"].count("*") == 14  # the last four
            accepted = await official.post(
                f"/api/v1/official/reservations/{offer['data']['reservation_id']}/accept"
            )
            assert accepted.json() == {"case_id": case_id}

            # both parties join the window through the gateway's signaling relay
            async def official_offer(sdp: str) -> str:
                answer = await official.post(
                    f"/api/v1/official/cases/{case_id}/window/join", json={"sdp": sdp}
                )
                assert answer.status_code == 200, answer.text
                return str(answer.json()["sdp"])

            async def applicant_offer(sdp: str) -> str:
                async def window_open() -> Any:
                    answer = await kiosk.post(
                        f"/api/v1/kiosk/cases/{case_id}/window/join", json={"sdp": sdp}, headers=bearer(token)
                    )
                    return answer if answer.status_code == 200 else None

                return str((await eventually(window_open, timeout=30)).json()["sdp"])

            for signal in (official_offer, applicant_offer):
                peer = TestPeer(width=160, height=120, fps=10)
                peers.append(peer)
                await peer.join(signal)
            await eventually(lambda: applicant.first("WindowConnected"), timeout=30)
            await eventually(
                lambda: all(min(p.frames("video") or [0]) >= 5 for p in peers), timeout=30
            )  # each receives the other's video through the service

            material = details.json()["application"]["materials"][0]
            image = await official.get(f"/api/v1/official/cases/{case_id}/materials/{material['id']}")
            assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"

            # the summary goes to the kiosk; the confirmation back to the official
            await official.post(
                f"/api/v1/official/cases/{case_id}/summary", json={"summary": "转移接续，材料齐全"}
            )
            await eventually(lambda: applicant.first("OfficialSummary"), timeout=10)
            await kiosk.post(
                f"/api/v1/kiosk/cases/{case_id}/confirm", json={"confirmed": True}, headers=bearer(token)
            )
            await eventually(lambda: desk.first("ApplicantConfirmed"), timeout=10)

            async def decided() -> Any:
                reply = await official.post(
                    f"/api/v1/official/cases/{case_id}/decision",
                    json={
                        "outcome": "approved",
                        "result_kind": "certificate",
                        "delivery_method": "e_certificate",
                    },
                )
                return reply if reply.status_code == 200 else None

            decision = await eventually(decided, timeout=30)  # once results knows it assigned
            assert decision.json()["case"]["case_id"] == case_id
            finished = await official.post(f"/api/v1/official/cases/{case_id}/finish")
            assert finished.status_code == 200, finished.text
            assert finished.json()["window"]["state"] == "closed"

        # the applicant sees the decision and the certificate, and rates
        await eventually(lambda: applicant.first("DecisionRecorded"), timeout=30)

        async def rated() -> Any:
            reply = await kiosk.post(
                f"/api/v1/kiosk/cases/{case_id}/evaluation",
                json={"level": 5, "tags": ["fast", "no_travel"]},
                headers=bearer(token),
            )
            return reply if reply.status_code == 201 else None

        await eventually(rated, timeout=30)
        pdf = await kiosk.get(f"/api/v1/kiosk/cases/{case_id}/certificate", headers=bearer(token))
        assert pdf.content.startswith(b"%PDF")

        async with signed_in(gateway, "operator-1") as operator:

            async def closed() -> list[str]:
                timeline = (await operator.get(f"/api/v1/operator/cases/{case_id}/timeline")).json()
                kinds = [e["type"].rsplit(".", 1)[-1] for e in timeline.get("events", [])]
                return kinds if "CaseClosed" in kinds else []

            kinds = await eventually(closed, timeout=60)
            for step in (
                "ApplicationSubmitted",
                "CaseReserved",
                "CaseAssigned",
                "WindowConnected",
                "DecisionRecorded",
                "EvaluationSubmitted",
            ):
                assert step in kinds
            figures = (await operator.get("/api/v1/operator/live")).json()
            assert figures["by_type"].get("CaseAssigned", 0) >= 1
        for live in (applicant, desk):
            await live.ws.close()
    for peer in peers:
        await peer.close()


async def test_a_supplement_round_through_the_gateway(stack: RealStack, province: str) -> None:
    """补正: the official asks for a material and wraps up; the kiosk supplies it and submits
    again; the case comes back to the official, who approves it."""
    gateway = stack.gateway
    async with gateway.client() as kiosk, staff(gateway, "official", province) as official:
        case_id, token = await kiosk_case(kiosk, province)
        for code, data in (("id_card", JPEG), ("form", PDF), ("new_account", JPEG)):
            assert (await upload(kiosk, case_id, token, code, data)).status_code == 201
        await kiosk.post(f"/api/v1/kiosk/cases/{case_id}/submit", headers=bearer(token))
        await assigned(official, case_id)

        async def decide(body: dict[str, Any]) -> Any:
            async def attempt() -> Any:
                reply = await official.post(f"/api/v1/official/cases/{case_id}/decision", json=body)
                return reply if reply.status_code != 409 else None

            return await eventually(attempt, timeout=30, interval=0.3)

        asked = await decide({"outcome": "supplement_requested", "supplements": ["new_account"]})
        assert asked.status_code == 200, asked.text
        assert asked.json()["case"]["status"] == "SUPPLEMENT_REQUESTED"
        assert (await official.post(f"/api/v1/official/cases/{case_id}/finish")).status_code == 200

        async def reopened() -> dict[str, Any] | None:
            found = (await kiosk.get(f"/api/v1/kiosk/cases/{case_id}", headers=bearer(token))).json()[
                "application"
            ]
            return found if found["status"] == "supplement_requested" else None

        application = await eventually(reopened, timeout=30, interval=0.3)
        assert application["requested_supplements"] == ["new_account"]
        early = await kiosk.post(f"/api/v1/kiosk/cases/{case_id}/submit", headers=bearer(token))
        assert (
            early.status_code == 409
            and "Receiving housing fund account proof" in early.json()["error"]["message_en"]
        )
        await upload(kiosk, case_id, token, "new_account", JPEG + b"the new proof")
        again = await kiosk.post(f"/api/v1/kiosk/cases/{case_id}/submit", headers=bearer(token))
        assert again.json()["application"]["status"] == "submitted"

        reservation = await offered(official, case_id, timeout=90)  # after the wrap-up
        await official.post(f"/api/v1/official/reservations/{reservation}/accept")
        approved = await decide(
            {"outcome": "approved", "result_kind": "certificate", "delivery_method": "e_certificate"}
        )
        assert approved.json()["case"]["certificate_number"].startswith(f"TB-{province}-")
        async with signed_in(gateway, "operator-1") as operator:

            async def delivered() -> list[str]:
                events = (await operator.get(f"/api/v1/operator/cases/{case_id}/timeline")).json()["events"]
                kinds = [e["type"].rsplit(".", 1)[-1] for e in events]
                return kinds if "ResultDelivered" in kinds else []

            kinds = await eventually(delivered, timeout=30)
        assert kinds.count("DecisionRecorded") == 2 and kinds.count("CaseAssigned") == 2
        assert kinds.count("ApplicationSubmitted") == 2 and kinds.count("WindowOpened") == 2
