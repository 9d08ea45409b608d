"""Finding 2: sign-in throttling that locked everyone out, or was bypassed, and staff
usernames shown to applicants.

- A forged X-Forwarded-For changes nothing when the peer is not a configured proxy: the
  failures still count against the real address, and the audit names it.
- Behind a configured proxy each browser is its own address (the proxy's appended entry
  counts, not what the browser wrote), so one attacker's failures slow only them.
- Failures slow the one who fails, doubling each time; the official signing in from their
  own desk meanwhile is never refused.
- An applicant's views and live events never carry the handling official's username.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest

from tests.gateway.gateway_support import (
    RealStack,
    RunningGateway,
    assigned,
    bearer,
    kiosk_socket,
    password,
    signed_in,
    start_gateway,
    submitted_case,
    username_of,
)
from tests.security.security_support import QueueProvince, on_duty
from tests.support import eventually

LOGIN = "/api/v1/auth/login"


@pytest.fixture(scope="module")
async def production_limits(stack: RealStack) -> AsyncIterator[RunningGateway]:
    """A gateway with the production allowance (three failures per username and address)
    and 127.0.0.7 configured as the reverse proxy in front of it."""
    gateway = await start_gateway(
        stack.settings(
            login_free_failures=3,
            login_address_free_failures=50,
            trusted_proxies=["127.0.0.7"],
            live_events=False,
        )
    )
    yield gateway
    await gateway.stop()


async def attempt(
    client: httpx.AsyncClient, username: str, secret: str, forwarded: str = ""
) -> tuple[int, dict[str, str]]:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    reply = await client.post(LOGIN, json={"username": username, "password": secret}, headers=headers)
    return reply.status_code, dict(reply.headers)


async def audit_clients(stack: RealStack, username: str) -> list[str]:
    async with signed_in(stack.gateway, "admin-1") as admin:
        entries = (await admin.get("/api/v1/admin/audit", params={"actor": username})).json()["entries"]
    return [e["client"] for e in entries]


async def test_a_forged_forwarded_for_is_ignored_from_anyone_but_the_proxy(
    stack: RealStack, production_limits: RunningGateway
) -> None:
    username = "ah-official-1"
    async with production_limits.client("127.0.0.6") as attacker:
        statuses = [
            (await attempt(attacker, username, "guess-guess", forwarded=f"203.0.113.{i}"))[0]
            for i in range(4)
        ]
    assert statuses == [401, 401, 401, 429]  # a new "address" per attempt gained nothing
    clients = await audit_clients(stack, username)
    assert "127.0.0.6" in clients and not any(c.startswith("203.0.113.") for c in clients)


async def test_behind_the_proxy_each_browser_is_limited_on_its_own(
    stack: RealStack, production_limits: RunningGateway
) -> None:
    username = "operator-1"
    async with production_limits.client("127.0.0.7") as proxy:
        for _ in range(3):
            assert (await attempt(proxy, username, "guess-guess", forwarded="198.51.100.66"))[0] == 401
        status, headers = await attempt(proxy, username, password(username), forwarded="198.51.100.66")
        assert status == 429 and headers["retry-after"] == "1"
        # the attacker writes the user's address first; the proxy appends the real one
        status, _ = await attempt(
            proxy, username, password(username), forwarded="198.51.100.5, 198.51.100.66"
        )
        assert status == 429
        # the real user, another browser behind the same proxy
        assert (await attempt(proxy, username, password(username), forwarded="198.51.100.5"))[0] == 200
    clients = await audit_clients(stack, username)
    assert "198.51.100.66" in clients and "198.51.100.5" in clients and "127.0.0.7" not in clients


async def test_failures_slow_the_attacker_more_each_time_and_never_the_official(
    production_limits: RunningGateway,
) -> None:
    username = "sh-official-1"
    async with (
        production_limits.client("127.0.0.9") as attacker,
        production_limits.client("127.0.0.10") as desk,
    ):
        waits = []
        for _ in range(3):
            assert (await attempt(attacker, username, "guess-guess"))[0] == 401
        for _ in range(3):
            status, headers = await attempt(attacker, username, "guess-guess")
            assert status == 429
            wait = int(headers["retry-after"])
            waits.append(wait)
            assert (await attempt(desk, username, password(username)))[0] == 200  # the official
            await asyncio.sleep(wait)
            assert (await attempt(attacker, username, "guess-guess"))[0] == 401  # one more guess
        assert waits == [1, 2, 4]
        assert (await attempt(desk, username, password(username)))[0] == 200


async def test_applicants_never_see_who_handles_their_case(stack: RealStack) -> None:
    gateway = stack.gateway
    ws_url = gateway.url.replace("http", "ws")
    async with (
        gateway.client() as kiosk,
        aiohttp.ClientSession() as http,
        on_duty(gateway, QueueProvince.get()) as official,
    ):
        name = username_of(official)
        case_id, token = await submitted_case(kiosk, QueueProvince.get())
        socket = await kiosk_socket(http, ws_url, token)
        try:
            await eventually(lambda: socket.messages, timeout=10)
            await assigned(official, case_id)
            await eventually(lambda: socket.of_type("CaseAssigned"), timeout=60)
            position = await kiosk.get(f"/api/v1/kiosk/cases/{case_id}/position", headers=bearer(token))
            assert position.status_code == 200 and position.json()["state"] in {"assigned", "reserved"}
            sent = await official.post(
                f"/api/v1/official/cases/{case_id}/summary", json={"summary": "材料齐全"}
            )
            assert sent.status_code == 200, sent.text
            await eventually(lambda: socket.of_type("OfficialSummary"), timeout=10)
            case = await kiosk.get(f"/api/v1/kiosk/cases/{case_id}", headers=bearer(token))
            # the official's own view does name them: the check below is not vacuous
            assert name in (await official.get(f"/api/v1/official/cases/{case_id}")).text
            seen = [position.text, case.text, json.dumps(socket.messages, ensure_ascii=False)]
            for text in seen:
                assert name not in text and "official_id" not in text and "display_name" not in text
            assert {"CaseReserved", "CaseAssigned"} <= {m.get("type") for m in socket.messages}
        finally:
            await socket.ws.close()
            await official.post(f"/api/v1/official/cases/{case_id}/finish")


def test_the_proxy_setting_takes_addresses_and_networks_only() -> None:
    from gateway.config import GatewaySettings
    from services.shared.settings import SettingsError, load

    assert load(GatewaySettings, {"TONGBAN_TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.7"}).trusted_proxies == [
        "10.0.0.0/8",
        "192.0.2.7",
    ]
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load(GatewaySettings, {"TONGBAN_TRUSTED_PROXIES": "the-ingress"})
    assert load(GatewaySettings, {}).trusted_proxies == []  # nobody's X-Forwarded-For by default
