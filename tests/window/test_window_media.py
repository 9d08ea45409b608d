"""Real aiortc parties through the window media on loopback: forwarding, the recording,
three-party windows, drops and rejoins, refused offers."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import av
import pytest

from cli.botpeer import TestPeer, read_stamp
from services.window import hooks
from services.window.ice import use_loopback_ice
from services.window.media import InvalidSdp, UnknownSeat, WindowClosed, WindowMedia
from tests.support import eventually
from tests.window.window_support import EventLog, offer_to, parties

pytestmark = pytest.mark.integration  # real WebRTC between aiortc peers on this machine

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


def receiving(peer: TestPeer, seat: str, tag: int, frames: int = 15) -> bool:
    video, audio = peer.track(seat, "video"), peer.track(seat, "audio")
    return video.frames >= frames and tag in video.tags and audio.frames >= frames and audio.peak > 1000


async def test_two_parties_exchange_media_and_messages_and_the_window_is_recorded(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, log = media
    window = manager.open(window_id="w-two", case_id="case-1", official_id="sh-official-1")
    async with parties(TestPeer(tag=1), TestPeer(tag=2)) as (applicant, official):
        await applicant.join(offer_to(manager, window.id, "applicant"))
        await asyncio.sleep(0.5)  # the applicant waits alone for a moment (recorded too)
        await official.join(offer_to(manager, window.id, "official"))
        await eventually(
            lambda: receiving(applicant, "official", 2) and receiving(official, "applicant", 1), timeout=20
        )
        assert window.state == "connected"
        for peer in (applicant, official):
            for track in peer.received.values():
                assert track.out_of_order == 0, track
            assert len(peer.track("applicant" if peer is official else "official", "video").tags) == 1

        # the official pushes a summary; the applicant confirms exactly that summary
        await official.send({"type": "summary", "text": "公积金提取：材料齐全，同意受理"})
        ack = await eventually(lambda: [m for m in official.messages if m.get("type") == "ack"])
        summary = await eventually(lambda: [m for m in applicant.messages if m.get("type") == "summary"])
        assert summary[0]["from"] == "official" and summary[0]["id"] == ack[0]["id"]
        await applicant.send({"type": "confirm", "summary_id": summary[0]["id"]})
        await eventually(lambda: [m for m in official.messages if m.get("type") == "confirm"])
        # a document-camera image, in two parts, is surfaced to the service
        encoded = base64.b64encode(JPEG).decode()
        for part, chunk in enumerate((encoded[:600], encoded[600:])):
            await applicant.send(
                {
                    "type": "snapshot",
                    "id": "doc-1",
                    "part": part,
                    "parts": 2,
                    "content_type": "image/jpeg",
                    "data": chunk,
                }
            )
        snapshot = await eventually(lambda: log.of(hooks.DocumentSnapshot, window.id))
        assert snapshot[0].snapshot.data == JPEG and snapshot[0].seat == "applicant"
        assert snapshot[0].snapshot.sha256 == hashlib.sha256(JPEG).hexdigest()
        await eventually(lambda: [m for m in applicant.messages if m.get("type") == "snapshot_received"])
        assert [e.kind for e in log.of(hooks.WindowMessage, window.id)] == ["summary", "confirm"]

        stats = await eventually(
            lambda: [
                e for e in log.of(hooks.MediaStats, window.id) if e.frame_rate > 5 and e.delivered_frame_rate
            ]
        )
        assert stats[0].bitrate_kbps > 10 and 0 <= stats[0].packet_loss <= 1
        await asyncio.sleep(1.0)
    recording = await manager.close(window.id, "completed")
    await manager.drain()

    assert recording is not None and recording.path.suffix == ".webm"
    data = recording.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == recording.sha256 and len(data) == recording.size
    kinds = log.kinds(window.id)
    assert kinds[:3] == ["PartyJoined", "PartyJoined", "Connected"]
    assert kinds[-2:] == ["Closed", "RecordingStored"]
    opened_for = log.of(hooks.Closed, window.id)[0].duration_s
    assert abs(recording.duration_s - opened_for) < 2.0 and recording.duration_s > 2.0
    with av.open(str(recording.path)) as container:
        titles = [s.metadata.get("title") for s in container.streams]
        assert titles == ["applicant video", "applicant audio", "official video", "official audio"]
        frames = list(container.decode(video=0))
    with av.open(str(recording.path)) as container:
        audio_frames = sum(1 for _ in container.decode(audio=0))
    assert len(frames) >= 25 and audio_frames >= 80
    stamps = [read_stamp(bytes(f.planes[0]), f.planes[0].line_size, f.width) for f in frames]
    assert {tag for tag, _ in stamps} == {1}  # the applicant's own frames, in order
    counters = [counter for _, counter in stamps]
    assert counters == sorted(counters)


async def test_three_parties_each_receive_the_other_two(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, log = media
    window = manager.open(["applicant", "official", "interpreter"], window_id="w-three")
    peers = [TestPeer(tag=tag, slots=2, width=160, height=120) for tag in (1, 2, 3)]
    tags = dict(zip(window.seats, (1, 2, 3), strict=True))
    async with parties(*peers):
        for seat, peer in zip(window.seats, peers, strict=True):
            await peer.join(offer_to(manager, window.id, seat))
        for seat, peer in zip(window.seats, peers, strict=True):
            for other in window.seats:
                if other != seat:
                    await eventually(lambda p=peer, o=other: receiving(p, o, tags[o]), timeout=20)
        assert window.connected_seats == ["applicant", "official", "interpreter"]
        assert log.kinds(window.id).count("PartyJoined") == 3
        for seat, peer in zip(window.seats, peers, strict=True):
            assert {f"{o}-{k}" for o in window.seats if o != seat for k in ("audio", "video")} == set(
                peer.received
            )
    recording = await manager.close(window.id)
    assert recording is not None
    with av.open(str(recording.path)) as container:
        assert len(container.streams.video) == 3 and len(container.streams.audio) == 3


async def test_a_dropped_party_rejoins_within_the_grace_period(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, log = media
    window = manager.open(window_id="w-rejoin")
    async with parties(
        TestPeer(tag=1, width=160, height=120),
        TestPeer(tag=2, width=160, height=120),
        TestPeer(tag=3, width=160, height=120),
    ) as (applicant, official, again):
        await applicant.join(offer_to(manager, window.id, "applicant"))
        await official.join(offer_to(manager, window.id, "official"))
        await eventually(lambda: receiving(official, "applicant", 1, frames=5))
        await applicant.close()  # the kiosk's connection drops
        left = await eventually(lambda: log.of(hooks.PartyLeft, window.id))
        assert left[0].seat == "applicant"
        await again.join(offer_to(manager, window.id, "applicant"))  # same seat, new peer
        rejoined = await eventually(lambda: log.of(hooks.PartyRejoined, window.id))
        assert rejoined[0].seat == "applicant" and rejoined[0].away_s < 3.0
        await eventually(lambda: 3 in official.track("applicant", "video").tags)
        await eventually(lambda: receiving(again, "official", 2, frames=5))
        await asyncio.sleep(3.5)  # past the grace period: still open
        assert window.state == "connected" and window.id in manager.windows
        assert "Closed" not in log.kinds(window.id)


async def test_a_new_offer_replaces_a_connected_party(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, log = media
    window = manager.open(window_id="w-replace")
    async with parties(
        TestPeer(tag=1, width=160, height=120),
        TestPeer(tag=2, width=160, height=120),
        TestPeer(tag=4, width=160, height=120),
    ) as (applicant, official, reload):
        await applicant.join(offer_to(manager, window.id, "applicant"))
        await official.join(offer_to(manager, window.id, "official"))
        await reload.join(offer_to(manager, window.id, "applicant"))  # a reloaded kiosk page
        await eventually(lambda: 4 in official.track("applicant", "video").tags)
        left = log.of(hooks.PartyLeft, window.id)
        assert [(e.seat, e.reason) for e in left] == [("applicant", "replaced")]
        await eventually(lambda: log.of(hooks.PartyRejoined, window.id))


async def test_grace_expiry_closes_the_window_with_a_reason(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, log = media
    window = manager.open(window_id="w-grace")
    async with parties(TestPeer(width=160, height=120), TestPeer(width=160, height=120)) as (
        applicant,
        official,
    ):
        await applicant.join(offer_to(manager, window.id, "applicant"))
        await official.join(offer_to(manager, window.id, "official"))
        await eventually(lambda: window.state == "connected")
        await applicant.close()
        await eventually(lambda: window.state == "closed", timeout=15)
    await manager.drain()
    assert window.close_reason == "grace_expired"
    closed = log.of(hooks.Closed, window.id)
    assert closed[0].reason == "grace_expired" and closed[0].seat == "applicant"
    assert window.id not in manager.windows and manager.get(window.id) is window
    with pytest.raises(WindowClosed):
        await manager.offer(window.id, "applicant", "v=0")
    assert await manager.close(window.id) == window.recording  # idempotent


async def test_a_party_that_stops_sending_media_has_left(tmp_path: object) -> None:
    use_loopback_ice()
    log = EventLog()
    manager = WindowMedia(
        tmp_path / "recordings",  # type: ignore[operator]
        on_event=log,
        media_timeout_s=1.5,
        stats_interval_s=0,
        record=False,
    )
    window = manager.open()
    try:
        async with parties(TestPeer(width=160, height=120), TestPeer(width=160, height=120)) as (
            applicant,
            official,
        ):
            await applicant.join(offer_to(manager, window.id, "applicant"))
            await official.join(offer_to(manager, window.id, "official"))
            await eventually(lambda: window.state == "connected")
            assert applicant.pc is not None
            for sender in applicant.pc.getSenders():
                if sender.track is not None:
                    sender.track.stop()  # frozen kiosk: the connection lives, media stops
            left = await eventually(lambda: log.of(hooks.PartyLeft), timeout=10)
            assert (left[0].seat, left[0].reason) == ("applicant", "media_timeout")
    finally:
        await manager.shutdown()


OFFERS = {
    "garbage": "v=0\r\nthis is not sdp\r\n",
    "empty": "",
    "no media": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
}


async def test_refused_offers_leave_the_window_intact(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, log = media
    window = manager.open(window_id="w-malformed")
    probe = TestPeer(width=160, height=120)
    async with parties(probe):
        # a real offer, then spoiled: no ICE password; only H.264 video
        async def capture(sdp: str) -> str:
            raise LookupError(sdp)

        with pytest.raises(LookupError) as captured:
            await probe.join(capture)
        good = str(captured.value.args[0])
    spoiled = {
        **OFFERS,
        "no ice password": "\r\n".join(
            line for line in good.split("\r\n") if not line.startswith("a=ice-pwd")
        ),
        "h264 only": good.replace("VP8/90000", "H264/90000"),
    }
    for name, sdp in spoiled.items():
        with pytest.raises(InvalidSdp):
            await manager.offer(window.id, "applicant", sdp)
        assert window.state == "open", name
        assert all(p.pc is None for p in window.parties.values()), name
    with pytest.raises(UnknownSeat):
        await manager.offer(window.id, "clerk", good)
    assert log.kinds(window.id) == []
    async with parties(TestPeer(tag=1, width=160, height=120), TestPeer(tag=2, width=160, height=120)) as (
        applicant,
        official,
    ):
        await applicant.join(offer_to(manager, window.id, "applicant"))
        await official.join(offer_to(manager, window.id, "official"))
        await eventually(lambda: receiving(applicant, "official", 2, frames=5))


async def test_shutdown_closes_every_peer_connection(tmp_path: object) -> None:
    use_loopback_ice()
    manager = WindowMedia(tmp_path / "recordings", stats_interval_s=0)  # type: ignore[operator]
    windows = [manager.open(), manager.open()]
    async with parties(*(TestPeer(width=160, height=120) for _ in range(4))) as peers:
        for index, peer in enumerate(peers):
            window = windows[index // 2]
            await peer.join(offer_to(manager, window.id, window.seats[index % 2]))
        await eventually(lambda: all(p.frames("video") and min(p.frames("video")) >= 3 for p in peers))
        connections = [p.pc for w in windows for p in w.parties.values()]
        assert all(pc is not None for pc in connections)
        await manager.shutdown()
        assert all(pc is not None and pc.connectionState == "closed" for pc in connections)
        assert not manager.windows
        assert all(w.close_reason == "shutdown" and w.recording for w in windows)
        await eventually(
            lambda: all(p.pc is not None and p.pc.connectionState == "closed" for p in peers), timeout=10
        )
