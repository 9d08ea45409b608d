"""Finding 1: a party's offer must not aim the window at internal addresses.

The attack: an applicant's offer, posted to the gateway's join route like any kiosk's,
carries extra ICE candidates: a host candidate at a port listening on 127.0.0.2 (standing
for an internal service), one claiming to be a TURN relay at another such port, and
private, link-local (cloud metadata) and mDNS candidates. Without the fix the window sends
STUN binding requests to each.

- Production (a window started as deployed: no loopback ICE, TURN from configuration): the
  window is relay-only through a real coturn run with docker-compose.yml's arguments; the
  window's log shows the internal candidates dropped, TURN refuses the relay-labelled one
  (Forbidden IP), the listeners receive nothing, and the legitimate parties, relay-only
  themselves, meet in the window and exchange video through TURN.
- Dev (the stack's window, loopback ICE): loopback candidates are kept on purpose (every
  peer is on this machine), so the same attack does reach a loopback listener: the
  control that shows the listeners would see packets if any were sent.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aioice import Candidate
from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy

from bench.stack import bench_env
from cli.botpeer import TestPeer
from services.window.ice import refusal, use_loopback_ice
from tests.gateway.gateway_support import (
    RealStack,
    RunningGateway,
    assigned,
    bearer,
    start_gateway,
    submitted_case,
)
from tests.security.security_support import (
    TURN_SECRET,
    QueueProvince,
    Service,
    listening,
    on_duty,
    service,
    turn_as_compose,
)
from tests.support import eventually

# ------------------------------------------------------------------ the rule, unit by unit


def candidate(host: str, kind: str = "host") -> Candidate:
    return Candidate("1", 1, "udp", 2130706431, host, 9, kind)


@pytest.mark.parametrize(
    ("host", "kind", "production", "dev"),
    [
        ("114.114.114.114", "host", None, None),  # a public address: fine anywhere
        ("223.5.5.5", "srflx", None, None),
        ("203.0.113.7", "host", "private", "private"),  # documentation range: nobody real
        ("127.0.0.1", "host", "loopback", None),  # dev keeps loopback
        ("127.0.0.2", "host", "loopback", None),
        ("::1", "host", "loopback", None),
        ("10.1.2.3", "host", "private", "private"),
        ("172.16.5.4", "srflx", "private", "private"),
        ("192.168.1.20", "host", "private", "private"),
        ("100.64.0.1", "host", "private", "private"),
        ("fd12::1", "host", "private", "private"),
        ("169.254.169.254", "host", "link-local", "link-local"),
        ("fe80::1", "host", "link-local", "link-local"),
        ("::ffff:10.0.0.1", "host", "private", "private"),  # an IPv4 address dressed as IPv6
        ("0.0.0.0", "host", "private", "private"),
        ("224.0.0.1", "host", "not a unicast host", "not a unicast host"),
        (
            "3f2a9c1e-5b7d.local",
            "host",
            "mDNS name (a local network's host)",
            "mDNS name (a local network's host)",
        ),
        ("10.1.2.3", "relay", None, "private"),  # production: reached through our TURN only
        ("127.0.0.1", "relay", None, None),
    ],
)
def test_which_candidates_the_window_drops(
    host: str, kind: str, production: str | None, dev: str | None
) -> None:
    assert refusal(candidate(host, kind), relay_only=True, allow_loopback=False) == production
    assert refusal(candidate(host, kind), relay_only=False, allow_loopback=True) == dev


# ------------------------------------------------------------------ the attack, on the real stack


def relay_only(servers: list[dict[str, str]]) -> RTCConfiguration:
    """A browser that may use nothing but TURN, with the credential /api/v1/config gave it."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in servers
            if s["urls"].startswith("turn:")
        ],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY,
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
    )


def with_candidates(sdp: str, lines: list[str]) -> str:
    """The offer with `lines` added to every media section's candidates, and the party's
    own candidates put last (priority 1): the window's first checks, which it sends as it
    answers, before the party has the answer and checks anything itself, then go to the
    attack's candidates whatever the timing."""
    out = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            fields = line.split(" ")
            fields[3] = "1"
            line = " ".join(fields)
        out.append(line)
        if line.startswith("a=ice-pwd:"):
            out.extend(lines)
    return "\r\n".join(out) + "\r\n"


def hostile(targets: dict[str, int]) -> list[str]:
    return [
        f"a=candidate:9001 1 udp 2130706431 127.0.0.2 {targets['host']} typ host",
        # claims to be a TURN relay, with the top priority so that it is checked first
        f"a=candidate:9002 1 udp 2130706431 127.0.0.2 {targets['relay']} typ relay raddr 0.0.0.0 rport 0",
        "a=candidate:9003 1 udp 2130706431 10.1.2.3 5432 typ host",
        "a=candidate:9004 1 udp 2130706431 169.254.169.254 80 typ host",
        "a=candidate:9005 1 udp 2130706431 3f2a9c1e-5b7d-4e1a.local 9092 typ host",
    ]


@contextlib.asynccontextmanager
async def meeting(
    gateway: RunningGateway,
    kiosk: httpx.AsyncClient,
    official: httpx.AsyncClient,
    attack: list[str],
    production: bool,
) -> AsyncIterator[tuple[TestPeer, TestPeer]]:
    """A case assigned to `official`; both parties join its window through `gateway`, the
    applicant's offer carrying `attack`'s candidates."""
    province = QueueProvince.get()
    case_id, token = await submitted_case(kiosk, province)
    await assigned(official, case_id)
    config: dict[str, Any] = {}
    if production:
        config = {
            "official": relay_only((await official.get("/api/v1/config")).json()["ice_servers"]),
            "applicant": relay_only(
                (await kiosk.get("/api/v1/config", headers=bearer(token))).json()["ice_servers"]
            ),
        }
    desk = TestPeer(tag=2, width=160, height=120, fps=10, config=config.get("official"))
    party = TestPeer(tag=1, width=160, height=120, fps=10, config=config.get("applicant"))

    async def official_offer(sdp: str) -> str:
        answer = await official.post(f"/api/v1/official/cases/{case_id}/window/join", json={"sdp": sdp})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["sdp"])

    async def applicant_offer(sdp: str) -> str:
        async def window_open() -> Any:
            answer = await kiosk.post(
                f"/api/v1/kiosk/cases/{case_id}/window/join",
                json={"sdp": with_candidates(sdp, attack)},
                headers=bearer(token),
            )
            return answer if answer.status_code == 200 else None

        return str((await eventually(window_open, timeout=30)).json()["sdp"])

    try:
        await desk.join(official_offer, timeout=60)
        await party.join(applicant_offer, timeout=60)
        yield desk, party
    finally:
        for peer in (desk, party):
            await peer.close()
        await official.post(f"/api/v1/official/cases/{case_id}/finish")


async def both_see_video(desk: TestPeer, party: TestPeer) -> None:
    await eventually(
        lambda: 1 in desk.track("applicant", "video").tags and 2 in party.track("official", "video").tags,
        timeout=60,
    )


@pytest.fixture
async def production_window(stack: RealStack, tmp_path: Path) -> AsyncIterator[tuple[Service, Any]]:
    """A window service started as deployments start it, with a coturn run as compose runs
    it, and a gateway that hands browsers that TURN. The window opens windows when the
    official joins (not on case.assigned: the stack's window consumes those)."""
    with turn_as_compose(tmp_path / "turn") as server:
        env = bench_env(stack.kafka_bootstrap)
        env.update(
            TONGBAN_LOG_LEVEL="WARNING",
            TONGBAN_LOOPBACK_ICE="false",
            TONGBAN_ICE_SERVERS=server.url,
            TONGBAN_TURN_SECRET=TURN_SECRET,
            TONGBAN_OPEN_ON_ASSIGNMENT="false",
            TONGBAN_INTAKE_ADDR=stack.services["intake"],
            TONGBAN_JOIN_SECRET="",
        )
        with service("services.window", env, tmp_path / "window") as window:
            yield window, server


async def test_production_window_sends_nowhere_a_party_names(
    stack: RealStack, production_window: tuple[Service, Any]
) -> None:
    window, server = production_window
    gateway = await start_gateway(
        stack.settings(
            window_addr=window.address, ice_servers=[server.url], turn_secret=TURN_SECRET, live_events=False
        )
    )
    try:
        async with (
            listening("127.0.0.2") as internal_host,
            listening("127.0.0.2") as internal_relay,
            gateway.client() as kiosk,
            on_duty(gateway, QueueProvince.get()) as official,
        ):
            attack = hostile({"host": internal_host.port, "relay": internal_relay.port})
            async with meeting(gateway, kiosk, official, attack, production=True) as (desk, party):
                await both_see_video(desk, party)  # relay-only media through the compose TURN
                for peer in (desk, party):
                    offer = peer.pc.localDescription.sdp if peer.pc else ""
                    assert "typ relay" in offer and "typ host" not in offer
                await eventually(lambda: "remote ICE candidate dropped" in window.log_text(), timeout=20)
                log = window.log_text()
                for address in ("127.0.0.2", "10.1.2.3", "169.254.169.254", ".local"):
                    assert re.search(rf"dropped.*host [^\"]*{re.escape(address)}", log), (
                        address,
                        log[-3000:],
                    )
                # the relay-labelled candidate stays for ICE: TURN refuses to reach it
                await eventually(
                    lambda: "127.0.0.2" in server.log_text() and "Forbidden" in server.log_text(), timeout=30
                )
            assert internal_host.received == [] and internal_relay.received == []
    finally:
        await gateway.stop()


async def test_dev_window_keeps_loopback_candidates_only(stack: RealStack) -> None:
    """The control: in dev the window sends ICE checks to a loopback candidate, so a
    listener there hears STUN binding requests (and the private ones are still dropped)."""
    use_loopback_ice()  # the parties of this test, like the stack's window, on 127.0.0.1
    async with (
        listening("127.0.0.1") as loopback,
        stack.gateway.client() as kiosk,
        on_duty(stack.gateway, QueueProvince.get()) as official,
    ):
        attack = [
            f"a=candidate:9001 1 udp 2130706431 127.0.0.1 {loopback.port} typ host",
            "a=candidate:9003 1 udp 2130706431 10.1.2.3 5432 typ host",
            "a=candidate:9004 1 udp 16777215 192.168.7.7 3478 typ relay raddr 0.0.0.0 rport 0",
        ]
        async with meeting(stack.gateway, kiosk, official, attack, production=False) as (desk, party):
            await both_see_video(desk, party)
            await eventually(lambda: loopback.received, timeout=30)
        # a STUN binding request (RFC 5389: type 0x0001, magic cookie 0x2112A442)
        data, _ = loopback.received[0]
        assert data[:2] == b"\x00\x01" and data[4:8] == bytes.fromhex("2112a442")


def test_the_window_refuses_to_start_relay_only_without_turn() -> None:
    from services.window.ice import ice_configuration

    with pytest.raises(ValueError, match="TURN"):
        ice_configuration(["stun:stun.example:3478"], relay_only=True)
    relay = ice_configuration(["turn:turn.example:3478"], turn_secret="s", relay_only=True)()
    assert relay.iceTransportPolicy == RTCIceTransportPolicy.RELAY
