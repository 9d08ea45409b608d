"""A real TURN server (Debian's coturn, TURN REST secret) between the parties and the window:
parties allowed only relayed candidates reach the window and exchange media with credentials
made by services/shared/turn.py, and a credential made from another secret gets no relay."""

from __future__ import annotations

from pathlib import Path

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy

from cli.botpeer import TestPeer
from services.shared import turn
from services.window.ice import ice_configuration, use_loopback_ice
from services.window.media import WindowMedia
from tests.support import eventually
from tests.window.window_support import EventLog, offer_to, parties
from tools.engines import TurnNode


def relay_only(url: str, secret: str, who: str) -> RTCConfiguration:
    """A browser behind a network that allows nothing but TURN."""
    minted = turn.credential(secret, who, ttl_s=300)
    return RTCConfiguration(
        iceServers=[RTCIceServer(urls=url, username=minted.username, credential=minted.credential)],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY,
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
    )


async def test_relay_only_parties_meet_in_the_window_through_turn(
    turn_server: TurnNode, tmp_path: Path
) -> None:
    use_loopback_ice()
    url, secret = turn_server.url, turn_server.secret
    log = EventLog()
    media = WindowMedia(
        tmp_path / "recordings",
        ice_configuration([url], turn_secret=secret),
        on_event=log,
        stats_interval_s=0,
    )
    # the window's own connections carry a fresh credential for the same TURN
    own = media.connection_config().iceServers[0]
    assert own.username.endswith(":window") and own.credential
    window = media.open(window_id="w-turn")
    try:
        async with parties(
            TestPeer(tag=1, width=160, height=120, config=relay_only(url, secret, "kiosk")),
            TestPeer(tag=2, width=160, height=120, config=relay_only(url, secret, "sh-official-1")),
        ) as (applicant, official):
            await applicant.join(offer_to(media, window.id, "applicant"), timeout=30)
            await official.join(offer_to(media, window.id, "official"), timeout=30)
            await eventually(
                lambda: (
                    2 in applicant.track("official", "video").tags
                    and 1 in official.track("applicant", "video").tags
                ),
                timeout=30,
            )
            for peer in (applicant, official):
                assert peer.pc is not None
                offer = peer.pc.localDescription.sdp
                assert "typ relay" in offer and "typ host" not in offer
    finally:
        await media.shutdown()

    # a credential made with another secret: TURN refuses the allocation, no relay
    refused = RTCPeerConnection(relay_only(url, "not-the-secret", "intruder"))
    try:
        refused.addTransceiver("audio")
        await refused.setLocalDescription(await refused.createOffer())
        assert "typ relay" not in refused.localDescription.sdp
    finally:
        await refused.close()
