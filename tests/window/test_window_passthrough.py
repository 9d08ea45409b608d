"""Encoded frames in and out of aiortc: the receiver tap, forward tracks across rejoins,
and proof that the service decodes nothing."""

from __future__ import annotations

import asyncio
import queue
from types import SimpleNamespace
from typing import Any

import av
import pytest
from aiortc.mediastreams import MediaStreamError

from cli.botpeer import MediaLoop, TestPeer
from services.window.media import WindowMedia
from services.window.passthrough import (
    Feed,
    ForwardTrack,
    PassthroughUnavailable,
    tap_receiver,
    vp8_dimensions,
    vp8_is_keyframe,
)
from tests.support import eventually
from tests.window.window_support import EventLog, offer_to, parties

KEY = b"\x50\x02\x00\x9d\x01\x2a\xa0\x00\x78\x00" + b"k" * 50  # 160x120 keyframe header
DELTA = b"\x31\x02\x00" + b"d" * 40


def frame(data: bytes, timestamp: int) -> Any:
    return SimpleNamespace(data=data, timestamp=timestamp)


def test_vp8_keyframes_and_their_size_are_read_from_the_bitstream() -> None:
    loop = MediaLoop.build(96, 64, 15, seconds=0.4)
    assert vp8_is_keyframe(loop.video[0]) and vp8_dimensions(loop.video[0]) == (96, 64)
    assert not any(vp8_is_keyframe(f) for f in loop.video[1:])
    assert vp8_dimensions(KEY) == (160, 120) and vp8_dimensions(DELTA) is None


def test_tap_takes_frames_before_the_decoder_and_refuses_a_started_receiver() -> None:
    got: list[Any] = []
    receiver = SimpleNamespace(_RTCRtpReceiver__decoder_queue=queue.Queue(), _RTCRtpReceiver__started=False)
    tap_receiver(receiver, lambda codec, f: got.append(f))
    tapped = receiver._RTCRtpReceiver__decoder_queue
    tapped.put(("vp8", frame(KEY, 0)))
    tapped.put(None)  # the stop signal still reaches the (idle) decoder thread
    assert [f.data for f in got] == [KEY] and tapped.get_nowait() is None
    receiver._RTCRtpReceiver__started = True
    with pytest.raises(PassthroughUnavailable):
        tap_receiver(receiver, lambda codec, f: None)
    with pytest.raises(PassthroughUnavailable):
        tap_receiver(SimpleNamespace(), lambda codec, f: None)


async def test_a_forward_track_starts_at_a_keyframe_and_keeps_one_timeline_across_rejoins() -> None:
    feed = Feed("applicant", "video")
    track = ForwardTrack(feed, "applicant-video")
    feed._deliver(frame(KEY, 0), source=1)  # before its sender asks: not queued
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    feed._deliver(frame(DELTA, 6000), source=1)  # no keyframe yet: dropped
    feed._deliver(frame(KEY, 12000), source=1)
    feed._deliver(frame(DELTA, 18000), source=1)
    first = await pending
    second = await track.recv()
    assert isinstance(first, av.Packet) and bytes(first) == KEY
    assert (first.pts, second.pts) == (0, 6000) and second.time_base.denominator == 90000
    await asyncio.sleep(0.2)  # the party drops and rejoins: its clock starts again
    feed._deliver(frame(DELTA, 0), source=2)  # dropped: the new source starts at a keyframe
    feed._deliver(frame(KEY, 3000), source=2)
    feed._deliver(frame(DELTA, 9000), source=2)
    third, fourth = await track.recv(), await track.recv()
    assert third.pts >= 6000 + 0.2 * 90000 and fourth.pts == third.pts + 6000
    track.stop()
    assert feed.sinks == []
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_the_service_forwards_and_records_without_decoding(
    media: tuple[WindowMedia, EventLog],
) -> None:
    manager, _ = media
    window = manager.open(window_id="w-no-decode")
    async with parties(TestPeer(tag=1, width=160, height=120), TestPeer(tag=2, width=160, height=120)) as (
        applicant,
        official,
    ):
        await applicant.join(offer_to(manager, window.id, "applicant"))
        await official.join(offer_to(manager, window.id, "official"))
        await eventually(
            lambda: min(applicant.frames("video") or [0]) >= 10 and min(official.frames("video") or [0]) >= 10
        )
        for party in window.parties.values():
            assert party.pc is not None
            receivers = [t.receiver for t in party.pc.getTransceivers() if t.receiver.track is not None]
            assert len(receivers) == 2
            for receiver in receivers:
                assert type(receiver._RTCRtpReceiver__decoder_queue).__name__ == "_Tap"
                assert receiver.track._queue.qsize() == 0  # no decoded frame ever made
            assert {f.id for f in party.forwards} == {
                f"{s}-{k}" for s in window.seats if s != party.seat for k in ("audio", "video")
            }
            assert all(f.frames > 0 for f in party.forwards)
        assert window.feeds[("applicant", "video")].dimensions == (160, 120)
