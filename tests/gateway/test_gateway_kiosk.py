"""The kiosk's flows through the gateway to the real services: catalog, application with the
device key, streamed uploads, submit, queue, window signaling with a real aiortc peer,
confirm, rating and certificate; the services' errors as HTTP."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator

import httpx

from cli.botpeer import TestPeer
from services.window.ice import use_loopback_ice
from tests.gateway.gateway_support import (
    JPEG,
    KIOSK_KEY,
    PDF,
    RealStack,
    assert_error,
    assigned,
    bearer,
    kiosk_case,
    raw_http,
    staff,
    start_gateway,
    submitted_case,
    upload,
)
from tests.support import eventually
from tools.engines import free_port


def multipart(data: bytes, boundary: str = "tbBoundary7MA4YWxk") -> tuple[bytes, dict[str, str]]:
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="id.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


async def materials(client: httpx.AsyncClient, case_id: str, token: str) -> list[dict[str, object]]:
    reply = await client.get(f"/api/v1/kiosk/cases/{case_id}", headers=bearer(token))
    assert reply.status_code == 200, reply.text
    found: list[dict[str, object]] = reply.json()["application"].get("materials", [])
    return found


async def test_catalog_and_device(stack: RealStack) -> None:
    async with stack.gateway.client() as client:
        matters = (await client.get("/api/v1/matters", params={"q": "公积金"})).json()["matters"]
        assert matters and all("公积金" in m["name_zh"] for m in matters)
        assert all(m["remote_window"] for m in matters)
        english = (await client.get("/api/v1/matters", params={"q": "driving"})).json()["matters"]
        assert {m["code"] for m in english} >= {"TR-LICENCE-RENEW"}
        transfer = (await client.get("/api/v1/matters/HF-TRANSFER")).json()["matter"]
        assert transfer["delivery_methods"] == ["e_certificate"]
        assert {m["code"] for m in transfer["materials"] if m["key"]} == {"id_card", "form", "new_account"}
        halls = (await client.get("/api/v1/halls", params={"province": "340000"})).json()["halls"]
        assert "hall-340104-01" in {h["id"] for h in halls}
        provinces = (await client.get("/api/v1/provinces")).json()["provinces"]
        assert len(provinces) == 31 and {"310000", "340000"} <= {p["code"] for p in provinces}
        config = (await client.get("/api/v1/config")).json()
        assert config["ice_servers"] == [] and "fast" in config["evaluation_tags"]
        assert_error(await client.get("/api/v1/matters/NOPE"), 404)
        device = await client.get("/api/v1/kiosk/device", headers={"X-Device-Key": KIOSK_KEY})
        assert device.json()["hall"]["id"] == "hall-340104-01"
        assert device.json()["hall"]["province"] == "340000"
        assert_error(await client.get("/api/v1/kiosk/device", headers={"X-Device-Key": "dk-wrong"}), 401)


async def test_an_application_is_created_at_the_kiosks_own_hall(stack: RealStack, province: str) -> None:
    async with stack.gateway.client() as client:
        case_id, token = await kiosk_case(client, province)
        own = (await client.get(f"/api/v1/kiosk/cases/{case_id}", headers=bearer(token))).json()
        assert own["application"]["hall_id"] == "hall-340104-01"
        assert own["application"]["hall_province"] == "340000"
        error = assert_error(
            await client.post(
                "/api/v1/kiosk/applications",
                headers={"X-Device-Key": KIOSK_KEY},
                json={
                    "request_id": "r",
                    "applicant_name": "张三",
                    "id_number": "x",
                    "matter_code": "HF-TRANSFER",
                    "target_province": province,
                    "hall_id": "hall-310101-01",
                },
            ),
            400,
        )
        assert error["fields"][0]["field"] == "hall_id"  # the device decides the hall
        request_id = str(uuid.uuid4())
        first, again = [
            await client.post(
                "/api/v1/kiosk/applications",
                headers={"X-Device-Key": KIOSK_KEY},
                json={
                    "request_id": request_id,
                    "applicant_name": "李四",
                    "id_number": "440524188001010014",
                    "phone": "13900001111",
                    "matter_code": "HF-TRANSFER",
                    "target_province": province,
                },
            )
            for _ in range(2)
        ]
        assert first.status_code == 201, first.text
        assert first.json()["case_id"] == again.json()["case_id"]  # a retried request


async def test_service_field_violations_become_400_with_fields_in_zh_and_en(
    stack: RealStack,
    province: str,
) -> None:
    async with stack.gateway.client() as client:
        reply = await client.post(
            "/api/v1/kiosk/applications",
            headers={"X-Device-Key": KIOSK_KEY},
            json={
                "request_id": "r1",
                "applicant_name": "张三",
                "id_number": "110105194912310021",
                "phone": "12345",
                "matter_code": "HF-TRANSFER",
                "target_province": province,
            },
        )
        fields = {f["field"]: f for f in assert_error(reply, 400)["fields"]}
        assert set(fields) == {"id_number", "phone"}
        for field in fields.values():
            assert field["message_zh"] and field["message_en"] and field["code"]
        same = await client.post(
            "/api/v1/kiosk/applications",
            headers={"X-Device-Key": KIOSK_KEY},
            json={
                "request_id": "r2",
                "applicant_name": "张三",
                "id_number": "11010519491231002X",
                "phone": "13812345678",
                "matter_code": "HF-TRANSFER",
                "target_province": "340000",
            },
        )
        error = assert_error(same, 400)
        assert error["fields"][0]["field"] == "target_province"
        assert "cross-province" in error["fields"][0]["message_en"]


async def test_uploads_reach_intake_whole_and_the_case_waits_in_the_queue(
    stack: RealStack,
    province: str,
) -> None:
    async with stack.gateway.client() as client:
        case_id, token = await kiosk_case(client, province)
        blocked = await client.post(f"/api/v1/kiosk/cases/{case_id}/submit", headers=bearer(token))
        assert "Resident identity card" in assert_error(blocked, 409)["message_en"]
        body, headers = multipart(JPEG)
        reply = await client.post(
            f"/api/v1/kiosk/cases/{case_id}/materials",
            params={"material_code": "id_card"},
            content=body,
            headers=headers | bearer(token),
        )
        assert reply.status_code == 201, reply.text
        material = reply.json()["material"]
        assert material["size"] == len(JPEG) and material["source"] == "upload"
        assert material["sha256"] == hashlib.sha256(JPEG).hexdigest()
        assert material["content_type"] == "image/jpeg"
        snapshot = await upload(client, case_id, token, "form", PDF, source="document_camera")
        assert snapshot.json()["material"]["source"] == "document_camera"
        assert snapshot.json()["material"]["content_type"] == "application/pdf"
        await upload(client, case_id, token, "new_account", JPEG)
        submitted = await client.post(f"/api/v1/kiosk/cases/{case_id}/submit", headers=bearer(token))
        assert submitted.json()["application"]["status"] == "submitted"

        async def waiting() -> dict[str, object] | None:
            position = (
                await client.get(f"/api/v1/kiosk/cases/{case_id}/position", headers=bearer(token))
            ).json()
            return position if position["state"] == "queued" else None

        position = await eventually(waiting, timeout=30, interval=0.3)
        assert position["position"] == 1  # nobody else waits in this province's queue
        whole = (await client.get(f"/api/v1/kiosk/cases/{case_id}", headers=bearer(token))).json()
        assert whole["position"]["state"] == "queued"
        cancelled = await client.post(f"/api/v1/kiosk/cases/{case_id}/cancel", json={}, headers=bearer(token))
        assert cancelled.json()["application"]["status"] == "cancelled"
        gone = await eventually(
            lambda: client.get(f"/api/v1/kiosk/cases/{case_id}/position", headers=bearer(token)), timeout=30
        )
        assert gone.status_code == 200


async def test_a_broken_oversized_or_foreign_upload_stores_nothing(stack: RealStack, province: str) -> None:
    async with stack.gateway.client() as client:
        case_id, token = await kiosk_case(client, province)
        body, headers = multipart(JPEG)
        truncated = await client.post(
            f"/api/v1/kiosk/cases/{case_id}/materials",
            params={"material_code": "id_card"},
            content=body[:-200],
            headers=headers | bearer(token),
        )
        assert "truncated" in assert_error(truncated, 400)["message_en"]

        async def huge() -> AsyncIterator[bytes]:  # chunked: no Content-Length to refuse early
            yield JPEG[:1024]
            for _ in range(22):
                yield b"\xff" * (1024 * 1024)

        too_big = await client.post(
            f"/api/v1/kiosk/cases/{case_id}/materials",
            params={"material_code": "id_card"},
            content=huge(),
            headers={"Content-Type": "image/jpeg"} | bearer(token),
        )
        assert_error(too_big, 413)
        status, declared = await raw_http(
            stack.gateway.url,
            (
                f"POST /api/v1/kiosk/cases/{case_id}/materials?material_code=id_card HTTP/1.1\n"
                f"Host: gateway\nAuthorization: Bearer {token}\nContent-Type: image/jpeg\n"
                f"Content-Length: {30 * 1024 * 1024}\n"
            ),
            b"x",
        )
        assert status == 413 and declared["error"]["message_zh"].startswith("请求体过大")
        wrong_type = await client.post(
            f"/api/v1/kiosk/cases/{case_id}/materials",
            params={"material_code": "id_card"},
            content=b"<html>",
            headers={"Content-Type": "text/html"} | bearer(token),
        )
        assert_error(wrong_type, 415)
        disguised = await client.post(
            f"/api/v1/kiosk/cases/{case_id}/materials",
            params={"material_code": "id_card"},
            content=b"<html>" * 10,
            headers={"Content-Type": "image/jpeg"} | bearer(token),
        )
        assert assert_error(disguised, 400)["fields"][0]["field"] == "data"  # sniffed by intake
        assert await materials(client, case_id, token) == []


async def test_window_signaling_confirm_rating_and_certificate(stack: RealStack, province: str) -> None:
    use_loopback_ice()
    gateway = stack.gateway
    peer = TestPeer(width=160, height=120, fps=10)
    async with gateway.client() as client, staff(gateway, "official", province) as official:
        case_id, token = await submitted_case(client, province)
        early = await client.post(
            f"/api/v1/kiosk/cases/{case_id}/window/join", json={"sdp": "v=0"}, headers=bearer(token)
        )
        assert "not open" in assert_error(early, 409)["message_en"]
        await assigned(official, case_id)

        async def kiosk_offer(sdp: str) -> str:
            async def open_window() -> httpx.Response | None:
                reply = await client.post(
                    f"/api/v1/kiosk/cases/{case_id}/window/join", json={"sdp": sdp}, headers=bearer(token)
                )
                return reply if reply.status_code != 409 else None

            reply = await eventually(open_window, timeout=30, interval=0.3)
            assert reply.status_code == 200, reply.text
            assert reply.json()["role"] == "applicant"
            return str(reply.json()["sdp"])

        try:
            await peer.join(kiosk_offer)  # the real window service answered: connected
        finally:
            await peer.close()
        confirmed = await client.post(
            f"/api/v1/kiosk/cases/{case_id}/confirm", json={"confirmed": True}, headers=bearer(token)
        )
        assert confirmed.json() == {"confirmed": True}
        rating = {"level": 5, "tags": ["fast", "no_travel"], "comment": "很好"}
        too_early = await client.post(
            f"/api/v1/kiosk/cases/{case_id}/evaluation", json=rating, headers=bearer(token)
        )
        assert_error(too_early, 409)
        assert_error(
            await client.get(f"/api/v1/kiosk/cases/{case_id}/certificate", headers=bearer(token)), 404
        )

        async def decided() -> httpx.Response | None:
            reply = await official.post(
                f"/api/v1/official/cases/{case_id}/decision",
                json={
                    "outcome": "approved",
                    "result_kind": "certificate",
                    "delivery_method": "e_certificate",
                },
            )
            return reply if reply.status_code != 409 else None

        assert (await eventually(decided, timeout=30, interval=0.3)).status_code == 200
        finished = await official.post(f"/api/v1/official/cases/{case_id}/finish")
        assert finished.json()["window"]["state"] == "closed"

        async def rated() -> httpx.Response | None:
            reply = await client.post(
                f"/api/v1/kiosk/cases/{case_id}/evaluation", json=rating, headers=bearer(token)
            )
            return reply if reply.status_code != 409 else None

        assert (await eventually(rated, timeout=30, interval=0.3)).status_code == 201
        again = await client.post(
            f"/api/v1/kiosk/cases/{case_id}/evaluation", json=rating, headers=bearer(token)
        )
        assert_error(again, 409)  # 一次一评
        pdf = await client.get(f"/api/v1/kiosk/cases/{case_id}/certificate", headers=bearer(token))
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        closed = await client.post(
            f"/api/v1/kiosk/cases/{case_id}/window/join", json={"sdp": "v=0"}, headers=bearer(token)
        )
        assert "closed" in assert_error(closed, 409)["message_en"]


async def test_an_unreachable_service_is_503_naming_it(stack: RealStack, province: str) -> None:
    gateway = await start_gateway(
        stack.settings(routing_addr=f"127.0.0.1:{free_port()}", live_events=False, seed_dev_accounts=False)
    )
    try:
        async with gateway.client() as client:
            case_id, token = await kiosk_case(client, province)
            reply = await client.get(f"/api/v1/kiosk/cases/{case_id}/position", headers=bearer(token))
            error = assert_error(reply, 503)
            assert error["code"] == "service_unavailable" and "routing" in error["message_en"]
            assert "分派服务" in error["message_zh"] and reply.headers["retry-after"] == "5"
            missing = await client.get(f"/api/v1/kiosk/cases/{uuid.uuid4()}", headers=bearer(token))
            assert_error(missing, 403)
    finally:
        await gateway.stop()
