"""A synthetic party for tests, the benchmark and the simulator: an aiortc peer that offers
the window's slot layout, sends generated video and a tone, and counts what it receives.

    peer = TestPeer(tag=1, slots=2)            # a party of a three-seat window
    await peer.join(lambda sdp: media.offer(window_id, "applicant", sdp))
    peer.received["official-video"].frames     # tracks are named "<seat>-<kind>"

Video frames carry their sender's tag (4 bits) and a frame counter (16 bits) as black and
white blocks along the top row, so a receiver that decodes can tell whose frame it got and
in which order. Two ways to send and receive:

- live (default): raw frames encoded by aiortc, received frames decoded and read;
- `loop=MediaLoop.build(…)`: a pre-encoded VP8 and Opus loop sent as packets, received
  frames counted as complete encoded frames without decoding (`decode=False` is implied).
  Parties then cost almost no CPU, so a benchmark on one machine measures the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import math
import os
import time
from array import array
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy

from services.window.passthrough import tap_receiver, vp8_is_keyframe

Offer = Callable[[str], Awaitable[str]]  # offer SDP in, answer SDP out
SAMPLE_RATE = 48_000
AUDIO_SAMPLES = 960  # 20 ms
TAG_BITS, COUNTER_BITS = 4, 16
BLACK, WHITE = 16, 235
_GRAIN = bytes(b & 0x3F for b in range(256))


def stamp_blocks(width: int) -> int:
    return max(2, width // (TAG_BITS + COUNTER_BITS))


def read_stamp(luma: bytes, line_size: int, width: int) -> tuple[int, int]:
    """(tag, counter) read back from a decoded frame's luma plane."""
    block = stamp_blocks(width)
    row = (block // 2) * line_size
    bits = [luma[row + i * block + block // 2] > (BLACK + WHITE) // 2 for i in range(TAG_BITS + COUNTER_BITS)]
    value = 0
    for bit in bits:
        value = value << 1 | bit
    return value >> COUNTER_BITS, value & (1 << COUNTER_BITS) - 1


def pattern_frame(width: int, height: int, tag: int, counter: int, noise: bool = False) -> av.VideoFrame:
    """A moving grey ramp (or noise) with the tag and counter stamped on top."""
    frame = av.VideoFrame(width, height, "yuv420p")
    luma = frame.planes[0]
    stride = luma.line_size
    shift = (counter * 4) % 256
    ramp = bytes((x + shift) % 256 for x in range(stride))
    data = bytearray(ramp * height)
    if noise:  # a moving band of grain: VP8 then needs a webcam-like bitrate
        top, rows = (counter * 16) % height, height // 4
        band = bytes(data[top * stride : (top + rows) * stride])
        grain = os.urandom(len(band)).translate(_GRAIN)
        mixed = int.from_bytes(band, "big") ^ int.from_bytes(grain, "big")
        data[top * stride : (top + rows) * stride] = mixed.to_bytes(len(band), "big")
    block = stamp_blocks(width)
    value = (tag & (1 << TAG_BITS) - 1) << COUNTER_BITS | (counter & (1 << COUNTER_BITS) - 1)
    for i in range(TAG_BITS + COUNTER_BITS):
        bit = value >> (TAG_BITS + COUNTER_BITS - 1 - i) & 1
        shade = bytes([WHITE if bit else BLACK]) * block
        for y in range(min(block, height)):
            start = y * stride + i * block
            data[start : start + block] = shade
    luma.update(bytes(data))
    for chroma in frame.planes[1:]:
        chroma.update(bytes([128]) * (chroma.line_size * chroma.height))
    return frame


def tone_samples(frequency: float = 440.0, amplitude: int = 8000) -> bytes:
    """One second of a mono s16 tone (a whole number of periods, so it loops cleanly)."""
    return array(
        "h",
        (int(amplitude * math.sin(2 * math.pi * frequency * i / SAMPLE_RATE)) for i in range(SAMPLE_RATE)),
    ).tobytes()


class _Pacer:
    """Absolute schedule: the n-th item is due at start + n * interval (no drift)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.start: float | None = None
        self.count = 0

    async def next(self) -> int:
        if self.start is None:
            self.start = time.monotonic()
        delay = self.start + self.count * self.interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.count += 1
        return self.count - 1


class CounterVideoTrack(MediaStreamTrack):
    """Raw frames for aiortc to encode: the ramp, the tag and a frame counter."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: int = 15, tag: int = 0) -> None:
        super().__init__()
        self.width, self.height, self.fps, self.tag = width, height, fps, tag
        self._pacer = _Pacer(1 / fps)
        self._time_base = fractions.Fraction(1, fps)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        count = await self._pacer.next()
        frame = pattern_frame(self.width, self.height, self.tag, count)
        frame.pts, frame.time_base = count, self._time_base
        return frame


class ToneAudioTrack(MediaStreamTrack):
    """A 440 Hz tone in 20 ms frames of 48 kHz mono for aiortc to encode."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._tone = tone_samples() * 2
        self._pacer = _Pacer(AUDIO_SAMPLES / SAMPLE_RATE)
        self._time_base = fractions.Fraction(1, SAMPLE_RATE)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        count = await self._pacer.next()
        offset = (count * AUDIO_SAMPLES * 2) % (SAMPLE_RATE * 2)
        frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_SAMPLES)
        frame.planes[0].update(self._tone[offset : offset + AUDIO_SAMPLES * 2])
        frame.sample_rate = SAMPLE_RATE
        frame.pts, frame.time_base = count * AUDIO_SAMPLES, self._time_base
        return frame


@dataclass(frozen=True)
class MediaLoop:
    """Pre-encoded media to send without encoding: VP8 frames (the first a keyframe, the
    only one) and one second of Opus tone. Build once, share among peers."""

    width: int
    height: int
    fps: int
    video: list[bytes]
    audio: list[bytes]

    @classmethod
    def build(
        cls,
        width: int = 640,
        height: int = 480,
        fps: int = 15,
        seconds: float = 2.0,
        bitrate: int = 800_000,
        tag: int = 0,
    ) -> MediaLoop:
        encoder: Any = av.CodecContext.create("libvpx", "w")
        encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
        encoder.bit_rate, encoder.time_base = bitrate, fractions.Fraction(1, fps)
        encoder.gop_size, encoder.qmin, encoder.qmax = 10_000, 2, 56
        # aiortc's own real-time VP8 settings (CBR), so packet sizes and rates are typical
        encoder.options = {
            "deadline": "realtime",
            "cpu-used": "-6",
            "lag-in-frames": "0",
            "minrate": str(bitrate),
            "maxrate": str(bitrate),
            "bufsize": str(bitrate),
            "undershoot-pct": "100",
            "overshoot-pct": "15",
            "static-thresh": "1",
        }
        video: list[bytes] = []
        for index in range(int(seconds * fps)):
            frame = pattern_frame(width, height, tag, index, noise=True)
            frame.pts = index
            video += [bytes(p) for p in encoder.encode(frame)]
        video += [bytes(p) for p in encoder.encode(None)]
        opus: Any = av.CodecContext.create("libopus", "w")
        opus.sample_rate, opus.layout, opus.format = SAMPLE_RATE, "stereo", "s16"
        opus.bit_rate, opus.time_base = 64_000, fractions.Fraction(1, SAMPLE_RATE)
        tone = array("h")
        for sample in array("h", tone_samples()):
            tone += array("h", (sample, sample))
        audio: list[bytes] = []
        raw = tone.tobytes()
        for index in range(SAMPLE_RATE // AUDIO_SAMPLES):
            chunk = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_SAMPLES)
            chunk.planes[0].update(raw[index * AUDIO_SAMPLES * 4 : (index + 1) * AUDIO_SAMPLES * 4])
            chunk.sample_rate, chunk.pts = SAMPLE_RATE, index * AUDIO_SAMPLES
            audio += [bytes(p) for p in opus.encode(chunk)]
        if not video or not vp8_is_keyframe(video[0]):
            raise RuntimeError("the VP8 loop does not start with a keyframe")
        return cls(width, height, fps, video, audio)

    @property
    def video_bitrate_kbps(self) -> float:
        return sum(map(len, self.video)) * 8 * self.fps / len(self.video) / 1000


class LoopVideoTrack(MediaStreamTrack):
    """Sends the loop's VP8 frames as packets; a keyframe request restarts the loop (its
    first frame is the keyframe)."""

    kind = "video"

    def __init__(self, loop: MediaLoop) -> None:
        super().__init__()
        self.loop = loop
        self._pacer = _Pacer(1 / loop.fps)
        self._index = 0
        self._step = 90_000 // loop.fps
        self._time_base = fractions.Fraction(1, 90_000)

    def restart(self) -> None:
        self._index = 0

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        count = await self._pacer.next()
        packet = av.Packet(self.loop.video[self._index])
        self._index = (self._index + 1) % len(self.loop.video)
        packet.pts, packet.time_base = count * self._step, self._time_base
        return packet


class LoopAudioTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, loop: MediaLoop) -> None:
        super().__init__()
        self.loop = loop
        self._pacer = _Pacer(AUDIO_SAMPLES / SAMPLE_RATE)
        self._time_base = fractions.Fraction(1, SAMPLE_RATE)

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        count = await self._pacer.next()
        packet = av.Packet(self.loop.audio[count % len(self.loop.audio)])
        packet.pts, packet.time_base = count * AUDIO_SAMPLES, self._time_base
        return packet


@dataclass
class ReceivedTrack:
    """What arrived on one incoming track ("<seat>-<kind>")."""

    id: str
    kind: str
    frames: int = 0
    keyframes: int = 0
    times: deque[float] = field(default_factory=lambda: deque(maxlen=2000))
    tags: set[int] = field(default_factory=set)  # video, decoded: whose frames these were
    counters: list[int] = field(default_factory=list)  # video, decoded: the last counters
    out_of_order: int = 0
    peak: int = 0  # audio, decoded: the loudest sample

    def add(self, now: float) -> None:
        self.frames += 1
        self.times.append(now)

    def fps(self, window_s: float | None = None) -> float:
        """Frames per second over the last `window_s` seconds (default: since the first)."""
        if not self.times:
            return 0.0
        if window_s is not None:
            cutoff = time.monotonic() - window_s
            return sum(1 for t in self.times if t >= cutoff) / window_s
        span = self.times[-1] - self.times[0]
        return (len(self.times) - 1) / span if span > 0 else 0.0


class TestPeer:
    """One party of a window (see the module docstring). `slots` is the number of other
    seats it receives: 1 in a two-seat window, 2 in a three-seat one."""

    __test__ = False  # not a pytest class

    def __init__(
        self,
        *,
        tag: int = 0,
        width: int = 320,
        height: int = 240,
        fps: int = 15,
        slots: int = 1,
        decode: bool = True,
        loop: MediaLoop | None = None,
        config: RTCConfiguration | None = None,
    ) -> None:
        self.tag, self.width, self.height, self.fps = tag, width, height, fps
        self.slots = slots
        self.loop = loop
        self.decode = decode and loop is None
        self.config = config or RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        self.pc: RTCPeerConnection | None = None
        self.channel: Any = None
        self.received: dict[str, ReceivedTrack] = {}
        self.messages: list[Any] = []
        self.setup_s: float | None = None
        self.video_track: MediaStreamTrack | None = None
        self._connected = asyncio.Event()
        self._channel_open = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def join(self, offer: Offer, timeout: float = 20.0) -> float:
        """Offers, applies the answer, waits for the connection; seconds offer → connected."""
        pc = self.pc = RTCPeerConnection(self.config)
        if self.loop is not None:
            audio: MediaStreamTrack = LoopAudioTrack(self.loop)
            video: MediaStreamTrack = LoopVideoTrack(self.loop)
        else:
            audio = ToneAudioTrack()
            video = CounterVideoTrack(self.width, self.height, self.fps, self.tag)
        self.video_track = video
        pc.addTransceiver(audio, direction="sendrecv")
        video_sender = pc.addTransceiver(video, direction="sendrecv").sender
        if isinstance(video, LoopVideoTrack):
            # a PLI restarts the loop at its keyframe (aiortc's sender would flag an encoder)
            setattr(video_sender, "_send_keyframe", video.restart)  # noqa: B010
        for _ in range(self.slots - 1):
            pc.addTransceiver("audio", direction="recvonly")
            pc.addTransceiver("video", direction="recvonly")
        self.channel = pc.createDataChannel("window")
        self.channel.on("open", self._channel_open.set)
        self.channel.on("message", self._on_message)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            received = self.received.setdefault(track.id, ReceivedTrack(track.id, track.kind))
            if self.decode:
                self._tasks.append(asyncio.ensure_future(self._read(track, received)))

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "connected":
                self._connected.set()

        started = time.perf_counter()
        await pc.setLocalDescription(await pc.createOffer())
        answer = await offer(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        if not self.decode:  # before the receivers start (no await since the answer)
            for transceiver in pc.getTransceivers():
                track = transceiver.receiver.track
                if track is not None:
                    self._count_encoded(transceiver.receiver, self.received[track.id])
        await asyncio.wait_for(self._connected.wait(), timeout)
        self.setup_s = time.perf_counter() - started
        return self.setup_s

    def _count_encoded(self, receiver: Any, received: ReceivedTrack) -> None:
        def count(codec: Any, frame: Any) -> None:
            received.add(time.monotonic())
            if received.kind == "video" and vp8_is_keyframe(frame.data):
                received.keyframes += 1

        tap_receiver(receiver, count)

    async def _read(self, track: MediaStreamTrack, received: ReceivedTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame: Any = await track.recv()
                received.add(time.monotonic())
                if isinstance(frame, av.VideoFrame):
                    tag, counter = read_stamp(bytes(frame.planes[0]), frame.planes[0].line_size, frame.width)
                    received.tags.add(tag)
                    if received.counters and counter <= received.counters[-1]:
                        received.out_of_order += 1
                    received.counters.append(counter)
                    del received.counters[:-100]
                elif received.frames % 10 == 1:  # audio: sample every tenth frame
                    samples = array("h", bytes(frame.planes[0]))
                    received.peak = max(received.peak, max(map(abs, samples), default=0))

    def _on_message(self, message: Any) -> None:
        try:
            self.messages.append(json.loads(message))
        except (TypeError, ValueError):
            self.messages.append(message)

    def track(self, seat: str, kind: str) -> ReceivedTrack:
        return self.received.get(f"{seat}-{kind}") or ReceivedTrack(f"{seat}-{kind}", kind)

    def frames(self, kind: str) -> list[int]:
        return [r.frames for r in self.received.values() if r.kind == kind]

    async def send(self, message: dict[str, Any] | bytes, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._channel_open.wait(), timeout)
        self.channel.send(message if isinstance(message, bytes) else json.dumps(message))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        if self.pc is not None:
            await self.pc.close()
