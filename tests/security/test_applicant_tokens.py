"""Finding 4: an applicant token was a bearer key to the whole case for 12 hours.

- A token copied out of the kiosk (a proxy's log, a photo of the screen) opens nothing
  without the key of the kiosk that created the case, and nothing from another kiosk.
- The live socket takes its credentials in its first message; a token in the URL is
  refused, so no client ever writes one there.
- A connected applicant seat is taken over only from the kiosk that holds it: another kiosk
  with the stolen token is refused and the applicant stays connected, while the kiosk's
  own reload joins again.

The kiosk's idle timeout, and what a real Chromium kiosk puts in URLs, are the browser
test's (test_browser.py)."""

from __future__ import annotations

from typing import Any

import aiohttp

from cli.botpeer import TestPeer
from services.window.ice import use_loopback_ice
from tests.gateway.gateway_support import (
    CREDENTIALS,
    RealStack,
    assert_error,
    assigned,
    bearer,
    kiosk_case,
    kiosk_socket,
    submitted_case,
)
from tests.security.security_support import QueueProvince, on_duty
from tests.support import eventually

SHANGHAI_KIOSK = CREDENTIALS["hall-310101-01"][1]


async def test_a_token_opens_its_case_only_from_its_own_kiosk(stack: RealStack) -> None:
    async with stack.gateway.client() as client:
        case_id, token = await kiosk_case(client, QueueProvince.get())  # not submitted
        path = f"/api/v1/kiosk/cases/{case_id}"
        assert (await client.get(path, headers=bearer(token))).status_code == 200
        alone = assert_error(await client.get(path, headers={"Authorization": f"Bearer {token}"}), 401)
        assert "设备" in alone["message_zh"] and "device" in alone["message_en"]
        elsewhere = assert_error(await client.get(path, headers=bearer(token, SHANGHAI_KIOSK)), 403)
        assert "终端" in elsewhere["message_zh"] and "kiosk" in elsewhere["message_en"]
        for method, suffix, body in (
            ("POST", "/submit", None),
            ("POST", "/cancel", {}),
            ("POST", "/window/join", {"sdp": "v=0"}),
            ("POST", "/confirm", {"confirmed": True}),
            ("GET", "/position", None),
        ):
            reply = await client.request(
                method, path + suffix, json=body, headers=bearer(token, SHANGHAI_KIOSK)
            )
            assert_error(reply, 403)
        # still the applicant's: nothing above changed the case
        assert (await client.get(path, headers=bearer(token))).json()["application"]["status"] == "draft"


async def test_the_live_socket_never_takes_a_token_in_its_url(stack: RealStack) -> None:
    ws_url = stack.gateway.url.replace("http", "ws")
    async with stack.gateway.client() as client, aiohttp.ClientSession() as http:
        case_id, token = await kiosk_case(client, QueueProvince.get())
        async with http.ws_connect(f"{ws_url}/ws/kiosk?token={token}") as ws:
            refused = await ws.receive_json(timeout=10)
            assert refused["error"]["fields"][0]["code"] == "NOT_IN_URL"
            await ws.receive(timeout=10)
            assert ws.close_code == 4400
        async with http.ws_connect(f"{ws_url}/ws/kiosk") as ws:
            await ws.send_json({"kind": "auth", "token": token, "device_key": SHANGHAI_KIOSK})
            assert (await ws.receive_json(timeout=10))["kind"] == "error"
            await ws.receive(timeout=10)
            assert ws.close_code == 4403
        socket = await kiosk_socket(http, ws_url, token)
        await eventually(lambda: socket.messages, timeout=10)
        assert socket.messages[0] == {"kind": "hello", "case_id": case_id}
        await socket.ws.close()


async def test_a_connected_seat_is_taken_only_from_its_own_kiosk(stack: RealStack) -> None:
    use_loopback_ice()
    gateway = stack.gateway
    async with gateway.client() as kiosk, on_duty(gateway, QueueProvince.get()) as official:
        case_id, token = await submitted_case(kiosk, QueueProvince.get())
        await assigned(official, case_id)
        desk, applicant = (
            TestPeer(tag=2, width=160, height=120, fps=10),
            TestPeer(tag=1, width=160, height=120, fps=10),
        )
        intruder = TestPeer(tag=3, width=160, height=120, fps=10)
        join = f"/api/v1/kiosk/cases/{case_id}/window/join"

        async def official_offer(sdp: str) -> str:
            reply = await official.post(f"/api/v1/official/cases/{case_id}/window/join", json={"sdp": sdp})
            assert reply.status_code == 200, reply.text
            return str(reply.json()["sdp"])

        async def applicant_offer(sdp: str) -> str:
            async def open_window() -> Any:
                reply = await kiosk.post(join, json={"sdp": sdp}, headers=bearer(token))
                return reply if reply.status_code == 200 else None

            return str((await eventually(open_window, timeout=30)).json()["sdp"])

        refusals: list[int] = []

        async def intruder_offer(sdp: str) -> str:
            for headers in (bearer(token, SHANGHAI_KIOSK), {"Authorization": f"Bearer {token}"}):
                reply = await kiosk.post(join, json={"sdp": sdp}, headers=headers)
                refusals.append(reply.status_code)
            raise PermissionError("refused")

        try:
            await desk.join(official_offer, timeout=60)
            await applicant.join(applicant_offer, timeout=60)
            await eventually(lambda: 1 in desk.track("applicant", "video").tags, timeout=60)
            try:
                await intruder.join(intruder_offer, timeout=10)
            except PermissionError:
                pass
            assert refusals == [403, 401]
            before = desk.track("applicant", "video").frames
            await eventually(lambda: desk.track("applicant", "video").frames > before + 10, timeout=30)
            assert applicant.pc is not None and applicant.pc.connectionState == "connected"
            assert 3 not in desk.track("applicant", "video").tags  # never the intruder's picture
            # the kiosk itself (a reloaded page) takes its own seat again
            again = TestPeer(tag=4, width=160, height=120, fps=10)
            try:
                await again.join(applicant_offer, timeout=60)
                await eventually(lambda: 4 in desk.track("applicant", "video").tags, timeout=60)
            finally:
                await again.close()
        finally:
            for peer in (desk, applicant, intruder):
                await peer.close()
            await official.post(f"/api/v1/official/cases/{case_id}/finish")
