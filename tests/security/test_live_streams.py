"""Finding 5: the supervisor's live stream crossed provinces.

The attack: a Shanghai supervisor keeps /ws/official open while a case is created at a
Shanghai hall for a matter another province owns. The stream used to send it (it matched
the hall's province) although REST refused the same case. Now every event of a case goes
through the rule REST uses (gateway.access.check_read): the other province's case is
refused by REST and never streamed; Shanghai's own case is readable and streamed.

Events reach every socket in the order the gateway's one consumer hands them over, so the
test makes the foreign case's events first, waits until an operator's socket has them (the
hub has then offered them to the supervisor's socket too), and only then makes Shanghai's
case: once the supervisor has Shanghai's events, the foreign ones were decided before."""

from __future__ import annotations

import json
import uuid

import aiohttp
import httpx

from tests.gateway.gateway_support import (
    CREDENTIALS,
    RealStack,
    Socket,
    bearer,
    kiosk_headers,
    signed_in,
    staff,
)
from tests.security.security_support import QueueProvince
from tests.support import eventually

SHANGHAI = "310000"
SHANGHAI_KIOSK = CREDENTIALS["hall-310101-01"][1]  # the Huangpu hall


async def application(kiosk: httpx.AsyncClient, key: str, target: str) -> tuple[str, str]:
    reply = await kiosk.post(
        "/api/v1/kiosk/applications",
        headers=kiosk_headers(key),
        json={
            "request_id": str(uuid.uuid4()),
            "applicant_name": "王五",
            "id_number": "440524188001010014",
            "phone": "13900001111",
            "matter_code": "HF-TRANSFER",
            "target_province": target,
        },
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["case_id"], reply.json()["applicant_token"]


async def withdraw(kiosk: httpx.AsyncClient, case_id: str, token: str, key: str) -> None:
    reply = await kiosk.post(f"/api/v1/kiosk/cases/{case_id}/cancel", json={}, headers=bearer(token, key))
    assert reply.status_code == 200, reply.text


def events_of(socket: Socket, case_id: str) -> list[str]:
    return [m["type"] for m in socket.messages if m.get("kind") == "event" and m.get("case_id") == case_id]


async def test_a_supervisor_streams_exactly_what_rest_lets_them_read(stack: RealStack) -> None:
    gateway = stack.gateway
    ws_url = gateway.url.replace("http", "ws")
    elsewhere = QueueProvince.get()  # applications only: nothing is queued
    async with (
        gateway.client() as kiosk,
        staff(gateway, "supervisor", SHANGHAI) as supervisor,
        signed_in(gateway, "operator-1") as operator,
        aiohttp.ClientSession() as http,
    ):

        def cookie(client: httpx.AsyncClient) -> dict[str, str]:
            return {"Cookie": f"tongban_session={client.cookies['tongban_session']}"}

        watching = Socket(await http.ws_connect(f"{ws_url}/ws/official", headers=cookie(supervisor)))
        everything = Socket(await http.ws_connect(f"{ws_url}/ws/operator", headers=cookie(operator)))
        try:
            await eventually(lambda: watching.messages and everything.messages, timeout=10)
            assert watching.messages[0]["kind"] == "hello"

            # made at a Shanghai hall, owned by another province
            foreign, foreign_token = await application(kiosk, SHANGHAI_KIOSK, elsewhere)
            await withdraw(kiosk, foreign, foreign_token, SHANGHAI_KIOSK)
            await eventually(lambda: "ApplicationCancelled" in events_of(everything, foreign), timeout=60)

            # made at the Hefei hall, owned by Shanghai
            own, own_token = await application(kiosk, kiosk_headers()["X-Device-Key"], SHANGHAI)
            await withdraw(kiosk, own, own_token, "")
            await eventually(lambda: "ApplicationCancelled" in events_of(watching, own), timeout=60)

            created = next(m for m in everything.messages if m.get("case_id") == foreign)
            assert created["data"]["hall_province"] == SHANGHAI  # what the old filter matched on
            assert events_of(watching, foreign) == []
            assert events_of(watching, own) == ["ApplicationCreated", "ApplicationCancelled"]
            assert foreign not in json.dumps(watching.messages)

            # REST decides the same way, by the same rule
            refused = await supervisor.get(f"/api/v1/official/cases/{foreign}")
            assert refused.status_code == 403, refused.text
            assert (await supervisor.get(f"/api/v1/official/cases/{own}")).status_code == 200
        finally:
            for socket in (watching, everything):
                await socket.ws.close()
