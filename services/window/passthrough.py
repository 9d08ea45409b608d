"""Encoded media in and out of aiortc: frames are forwarded and recorded as the parties'
encoders made them, never decoded or encoded again on this node.

aiortc 1.16 has no public encoded-frame API, but both ends of its pipeline have a seam:

- In: `RTCRtpReceiver` reassembles each complete encoded frame (depayloaded VP8 or Opus) in
  its jitter buffer and hands it to a decoder thread through a `queue.Queue` it keeps in the
  private attribute `_RTCRtpReceiver__decoder_queue`. `tap_receiver` swaps that queue, before
  the receiver starts, for one that delivers the frame on the event loop instead. Only the
  stop signal (None) reaches the decoder thread, which then ends as usual; it never decodes.
- Out: `RTCRtpSender` packetizes, without encoding, whatever `av.Packet` its track returns
  (`Encoder.pack`, the path `MediaPlayer(decode=False)` uses). `ForwardTrack` is such a track.
  A receiver's picture-loss request (PLI/FIR) reaches `RTCRtpSender._send_keyframe`, which
  would only flag its encoder; `ForwardTrack.bind` replaces it on that sender instance so the
  request travels upstream to the party whose encoder can act on it.

Both touch aiortc internals; `tap_receiver` refuses loudly (PassthroughUnavailable) if they
move, and tests/window exercise every piece, so an aiortc upgrade cannot silently fall back.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger(__name__)

VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_STARTED = "_RTCRtpReceiver__started"
_RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"
KEYFRAME_REQUEST_INTERVAL_S = 0.5  # PLIs closer together than this are merged
FORWARD_BACKLOG = {"video": 30, "audio": 50}  # frames a slow receiver may lag before drops


class PassthroughUnavailable(RuntimeError):
    """aiortc's internals changed: encoded frames cannot be taken from its receivers."""


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One complete encoded frame as a party's encoder produced it."""

    kind: str
    data: bytes
    timestamp: int  # RTP clock units, from the first frame of this source
    clock_rate: int
    arrival: float  # time.monotonic() when it was reassembled here
    keyframe: bool  # always True for audio
    source: int  # changes when the party's connection changes (rejoin)


class FrameSink(Protocol):
    def push(self, frame: EncodedFrame) -> None: ...


def vp8_is_keyframe(data: bytes) -> bool:
    """RFC 6386 9.1: the frame tag's lowest bit is 0 and the start code follows."""
    return len(data) >= 10 and not data[0] & 1 and data[3:6] == b"\x9d\x01\x2a"


def vp8_dimensions(data: bytes) -> tuple[int, int] | None:
    if not vp8_is_keyframe(data):
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height


class _Tap(queue.Queue[Any]):
    """Stands in for a receiver's decoder queue (see the module docstring)."""

    def __init__(self, deliver: Callable[[Any, Any], None]) -> None:
        super().__init__()
        self._deliver = deliver

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:  # the receiver stops: let its idle decoder thread end
            super().put(item, block, timeout)
            return
        codec, jitter_frame = item
        try:
            self._deliver(codec, jitter_frame)
        except Exception:  # never let a sink break aiortc's RTP handling
            log.exception("encoded frame delivery failed")


def tap_receiver(receiver: Any, deliver: Callable[[Any, Any], None]) -> None:
    """`deliver(codec, frame)` gets each complete encoded frame (`frame.data`,
    `frame.timestamp`) on the event loop instead of the receiver's decoder. Call it after
    `setRemoteDescription` and before the connection is up (the receiver not yet started)."""
    if not isinstance(getattr(receiver, _DECODER_QUEUE, None), queue.Queue) or not hasattr(
        receiver, _STARTED
    ):
        raise PassthroughUnavailable("this aiortc has no receiver decoder queue to tap")
    if getattr(receiver, _STARTED):
        raise PassthroughUnavailable("the receiver has started; tap it before connecting")
    setattr(receiver, _DECODER_QUEUE, _Tap(deliver))


def request_keyframe(receiver: Any) -> bool:
    """Sends a PLI for the media SSRC a receiver gets; False if none arrived yet."""
    rtx = getattr(receiver, _RTX_SSRC, {})
    sources = [s.source for s in receiver.getSynchronizationSources() if s.source not in rtx]
    if not sources:
        return False
    task = asyncio.ensure_future(receiver._send_rtcp_pli(sources[-1]))
    task.add_done_callback(_log_failure)
    return True


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("keyframe request failed: %r", task.exception())


class Feed:
    """One seat's audio or video: whichever connection carries it now, fanned out to the
    other parties' forward tracks and to the recorder. It outlives the connections, so a
    rejoining party's new media reaches the same subscribers."""

    def __init__(self, seat: str, kind: str) -> None:
        self.seat, self.kind = seat, kind
        self.clock_rate = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
        self.sinks: list[FrameSink] = []
        self.receiver: Any = None
        self.source = 0
        self.frames = 0
        self.bytes = 0
        self.last_arrival: float | None = None
        self.dimensions: tuple[int, int] | None = None
        self._last_request = -1e9
        self._pending_request: asyncio.TimerHandle | None = None

    def attach(self, receiver: Any) -> None:
        """Media now comes from this receiver (a new connection of the seat's party)."""
        self.source += 1
        self.receiver = receiver
        source = self.source

        def deliver(codec: Any, jitter_frame: Any) -> None:
            if self.receiver is receiver:  # a replaced connection may still be draining
                self._deliver(jitter_frame, source)

        tap_receiver(receiver, deliver)

    def detach(self) -> None:
        self.receiver = None
        if self._pending_request is not None:
            self._pending_request.cancel()
            self._pending_request = None

    def _deliver(self, jitter_frame: Any, source: int) -> None:
        data: bytes = jitter_frame.data
        if not data:
            return
        keyframe = True
        if self.kind == "video":
            keyframe = vp8_is_keyframe(data)
            if keyframe:
                self.dimensions = vp8_dimensions(data)
        now = time.monotonic()
        frame = EncodedFrame(
            self.kind, data, int(jitter_frame.timestamp), self.clock_rate, now, keyframe, source
        )
        self.frames += 1
        self.bytes += len(data)
        self.last_arrival = now
        for sink in tuple(self.sinks):
            sink.push(frame)

    def subscribe(self, sink: FrameSink) -> None:
        self.sinks.append(sink)

    def unsubscribe(self, sink: FrameSink) -> None:
        if sink in self.sinks:
            self.sinks.remove(sink)

    def request_keyframe(self) -> None:
        """Asks the party's encoder for a keyframe; requests within half a second merge."""
        if self.kind != "video" or self.receiver is None or self._pending_request is not None:
            return
        loop = asyncio.get_running_loop()
        wait = self._last_request + KEYFRAME_REQUEST_INTERVAL_S - loop.time()
        if wait > 0:
            self._pending_request = loop.call_later(wait, self._send_request)
        else:
            self._send_request()

    def _send_request(self) -> None:
        self._pending_request = None
        if self.receiver is not None and request_keyframe(self.receiver):
            self._last_request = asyncio.get_running_loop().time()


class ForwardTrack(MediaStreamTrack):
    """What one party receives of another seat's audio or video: that seat's encoded frames
    as `av.Packet`s, on a continuous timeline across the seat's rejoins. Video starts (and
    restarts after a rejoin or an overflow) at a keyframe."""

    def __init__(self, feed: Feed, track_id: str) -> None:
        super().__init__()
        self.kind = feed.kind
        self._id = track_id
        self.feed = feed
        self.frames = 0
        self.bytes = 0
        self._queue: deque[EncodedFrame] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._sending = False
        self._admitted = -1  # the source let in (video: from a keyframe on)
        self._source = -1  # the source of the last frame sent (for the timeline)
        self._offset = 0
        self._last_pts: int | None = None
        self._last_arrival = 0.0
        self._time_base = Fraction(1, feed.clock_rate)
        feed.subscribe(self)

    def bind(self, sender: Any) -> None:
        """Sends on `sender`; its receiver's keyframe requests go to the seat's encoder."""
        sender.replaceTrack(self)
        setattr(sender, "_send_keyframe", self.feed.request_keyframe)  # noqa: B010

    def push(self, frame: EncodedFrame) -> None:
        """A frame of the seat (called by the feed, on the event loop)."""
        if not self._sending or self.readyState != "live":
            return  # nothing queues before the sender asks (its connection is up)
        if frame.source != self._admitted:  # a new connection of the seat: from its keyframe
            if not frame.keyframe:
                self.feed.request_keyframe()
                return
            self._admitted = frame.source
        if len(self._queue) >= FORWARD_BACKLOG[self.kind]:
            self._queue.clear()  # this receiver fell behind: skip ahead, to a keyframe
            if self.kind == "video":
                self._admitted = -1
                self.feed.request_keyframe()
                return
        self._queue.append(frame)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def recv(self) -> av.Packet[Any]:
        if not self._sending:
            self._sending = True
            self.feed.request_keyframe()
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        frame = self._queue.popleft()
        if frame.source != self._source:
            # a new source starts where the last one left off, plus the time in between
            if self._last_pts is None:
                start = 0
            else:
                gap = int((frame.arrival - self._last_arrival) * frame.clock_rate)
                start = self._last_pts + max(1, gap)
            self._offset = start - frame.timestamp
            self._source = frame.source
        pts = frame.timestamp + self._offset
        if self._last_pts is not None and pts <= self._last_pts and frame.kind == "audio":
            pts = self._last_pts + 1
        self._last_pts, self._last_arrival = pts, frame.arrival
        packet = av.Packet(frame.data)
        packet.pts = pts
        packet.time_base = self._time_base
        self.frames += 1
        self.bytes += len(frame.data)
        return packet

    def stop(self) -> None:
        self.feed.unsubscribe(self)
        self._queue.clear()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        super().stop()
