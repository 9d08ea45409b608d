"""Finding 8 (compose's coturn): a TURN credential must not open the deployment's network.

Debian's coturn runs with docker-compose.yml's own arguments (its denied peer ranges, the
same as k8s/base/turn.yaml's, which tests/deploy checks), 127.0.0.1 standing for the media
network it may relay to. A client with a valid credential allocates a relay and asks TURN
to send to Kafka's, PostgreSQL's or a cloud's metadata address, to loopback, to the private
ranges: each permission is refused with 403 (Forbidden IP). Only the media network is
allowed, which the same client reaches."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aioice import stun
from aioice.turn import TurnClientUdpProtocol

from services.shared import turn
from tests.security.security_support import TURN_SECRET, Turn, turn_as_compose

DENIED = [
    "127.0.0.2",  # another loopback address: services bound to the host's loopback
    "10.1.2.3",  # the private ranges: Kafka, PostgreSQL, the services in a container network
    "172.16.0.9",
    "192.168.1.1",
    "169.254.169.254",  # link-local: a cloud's instance metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.1",
]


async def allocation(server: Turn) -> TurnClientUdpProtocol:
    minted = turn.credential(TURN_SECRET, "kiosk", 300)
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(
        lambda: TurnClientUdpProtocol(
            ("127.0.0.1", server.port),
            username=minted.username,
            password=minted.credential,
            lifetime=600,
            channel_refresh_time=500,
        ),
        remote_addr=("127.0.0.1", server.port),
    )
    await protocol.connect()
    return protocol


@pytest.mark.integration  # a real coturn, started with compose's arguments
async def test_turn_relays_only_within_the_media_network(tmp_path: Path) -> None:
    with turn_as_compose(tmp_path / "turn") as server:
        client = await allocation(server)
        try:
            channel = 0x4000
            for address in DENIED:
                with pytest.raises(stun.TransactionFailed) as refused:
                    await client.channel_bind(channel, (address, 5432))
                code = refused.value.response.attributes["ERROR-CODE"][0]
                assert code == 403, (address, refused.value.response.attributes["ERROR-CODE"])
                channel += 1
            await client.channel_bind(channel, ("127.0.0.1", 50_000))  # the media network
        finally:
            await client.delete()
        assert "Forbidden IP" in server.log_text() or "forbidden" in server.log_text().lower()
