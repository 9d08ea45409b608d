"""Real aiortc peers through the window service on loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json

import av
import pytest
from window_support import EventLog

from services.window.media import InvalidSdp, WindowMedia
from services.window.synthetic import SyntheticPeer
from support import eventually


def signal_for(manager: WindowMedia, window_id: str, role: str):  # type: ignore[no-untyped-def]
    async def signal(sdp: str) -> str:
        return await manager.offer(window_id, role, sdp)
    return signal


async def test_two_parties_receive_each_others_video_and_audio_and_it_is_recorded(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, log = media
    window = manager.open("case-1", "sh-official-1")
    applicant, official = SyntheticPeer(), SyntheticPeer()
    try:
        await applicant.join(signal_for(manager, window.id, "applicant"))
        await official.join(signal_for(manager, window.id, "official"))
        for peer in (applicant, official):
            await eventually(lambda p=peer: min(p.frames("video") or [0]) >= 20
                             and min(p.frames("audio") or [0]) >= 20, timeout=30)
        assert "connected" in log.kinds()
        await asyncio.sleep(2)
        # the official pushes a summary; the applicant confirms
        official.send(json.dumps({"type": "summary", "text": "公积金转移：材料齐全"}))
        await eventually(lambda: applicant.messages, timeout=10)
        assert json.loads(applicant.messages[0])["from"] == "official"
        image = b"\xff\xd8\xff\xe0" + b"\0" * 100
        applicant.send(json.dumps({"type": "snapshot",
                                   "data": base64.b64encode(image).decode()}))
        await eventually(lambda: log.snapshots, timeout=10)
        assert log.snapshots[0] == image
        await eventually(lambda: "media_stats" in log.kinds(), timeout=10)
    finally:
        await applicant.close()
        await official.close()
    recording = await manager.close(window.id, "completed")
    assert recording is not None
    assert hashlib.sha256(recording.path.read_bytes()).hexdigest() == recording.sha256
    assert recording.size == recording.path.stat().st_size
    with av.open(str(recording.path)) as container:
        kinds = sorted(s.type for s in container.streams)
        assert kinds == ["audio", "audio", "video", "video"]
        frames = sum(1 for _ in container.decode(video=0))
    assert recording.duration_s >= 2 and frames >= 20
    assert log.kinds()[-2:] == ["closed", "recording_stored"]
    stats = next(f for k, _, f in log.events if k == "media_stats")
    assert set(stats) >= {"rtt_ms", "packet_loss", "jitter_ms", "bitrate_kbps", "frame_rate"}


async def test_a_party_rejoins_within_grace_and_the_window_stays_open(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, log = media
    window = manager.open("case-r", "sh-official-1")
    applicant, official = SyntheticPeer(), SyntheticPeer()
    await applicant.join(signal_for(manager, window.id, "applicant"))
    await official.join(signal_for(manager, window.id, "official"))
    await eventually(lambda: min(official.frames("video") or [0]) >= 5, timeout=30)
    await applicant.close()  # the kiosk's connection drops
    await eventually(lambda: "party_left" in log.kinds(), timeout=20)
    again = SyntheticPeer()
    await again.join(signal_for(manager, window.id, "applicant"))
    await eventually(lambda: "party_rejoined" in log.kinds(), timeout=20)
    before = sum(official.frames("video"))
    await eventually(lambda: sum(official.frames("video")) >= before + 10, timeout=20)
    await eventually(lambda: min(again.frames("video") or [0]) >= 5, timeout=20)
    assert window.state == "connected"
    await again.close()
    await official.close()


async def test_grace_expiry_closes_the_window_with_a_reason(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, log = media
    window = manager.open("case-g", "sh-official-1")
    applicant, official = SyntheticPeer(width=160, height=120), SyntheticPeer(width=160, height=120)
    await applicant.join(signal_for(manager, window.id, "applicant"))
    await official.join(signal_for(manager, window.id, "official"))
    await applicant.close()
    await eventually(lambda: window.state == "closed", timeout=30)
    assert window.close_reason == "grace_expired"
    await official.close()


async def test_malformed_sdp_is_refused_and_the_window_still_works(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, _ = media
    window = manager.open("case-m", "sh-official-1")
    with pytest.raises(InvalidSdp):
        await manager.offer(window.id, "applicant", "v=0\r\nthis is not sdp\r\n")
    applicant, official = SyntheticPeer(width=160, height=120), SyntheticPeer(width=160, height=120)
    await applicant.join(signal_for(manager, window.id, "applicant"))
    await official.join(signal_for(manager, window.id, "official"))
    await eventually(lambda: min(applicant.frames("video") or [0]) >= 5, timeout=30)
    await applicant.close()
    await official.close()
