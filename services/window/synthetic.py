"""A synthetic party for tests, benchmarks and the simulator: an aiortc peer that sends
generated video (a moving pattern with a frame counter) and a tone, receives the others'
media, and counts what arrives."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import time
from array import array
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack
from av import VideoFrame

from services.window.ice import rtc_configuration

Signal = Callable[[str], Awaitable[str]]  # offer SDP in, answer SDP out


class PatternVideo(MediaStreamTrack):
    """A moving grey ramp, built from precomputed bytes (no per-pixel Python)."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: int = 15) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.count = 0
        self._start: float | None = None
        self._ramp = bytes(range(256)) * (width // 256 + 3)

    async def recv(self) -> VideoFrame:
        if self._start is None:
            self._start = time.time()
        due = self._start + self.count / self.fps
        await asyncio.sleep(max(0.0, due - time.time()))
        frame = VideoFrame(self.width, self.height, "yuv420p")
        luma = frame.planes[0]
        shift = (self.count * 4) % 256
        row = self._ramp[shift:shift + luma.line_size]
        luma.update(row * self.height)
        for chroma in frame.planes[1:]:
            chroma.update(bytes([128]) * (chroma.line_size * (self.height // 2)))
        frame.pts = self.count
        frame.time_base = fractions.Fraction(1, self.fps)
        self.count += 1
        return frame


class ToneAudio(AudioStreamTrack):
    """A 440 Hz tone in 20 ms frames of 48 kHz mono."""

    RATE = 48000

    def __init__(self) -> None:
        super().__init__()
        second = array("h", (int(8000 * math.sin(2 * math.pi * 440 * i / self.RATE))
                             for i in range(self.RATE)))
        self._tone = second.tobytes() * 2
        self._offset = 0

    async def recv(self) -> Any:
        frame: Any = await super().recv()  # paces 20 ms frames of silence
        size = frame.samples * 2
        frame.planes[0].update(self._tone[self._offset:self._offset + size])
        self._offset = (self._offset + size) % (self.RATE * 2)
        return frame


@dataclass
class Received:
    kind: str
    frames: int = 0
    first: float | None = None
    last: float | None = None

    def fps(self) -> float:
        if not self.first or not self.last or self.last <= self.first:
            return 0.0
        return (self.frames - 1) / (self.last - self.first)


@dataclass
class SyntheticPeer:
    """One party: `await peer.join(signal)`; `peer.received` lists the incoming tracks."""

    width: int = 320
    height: int = 240
    fps: int = 15
    extra_slots: int = 0
    pc: RTCPeerConnection = field(default_factory=lambda: RTCPeerConnection(rtc_configuration([])))
    received: list[Received] = field(default_factory=list)
    messages: list[Any] = field(default_factory=list)
    channel: Any = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def join(self, signal: Signal) -> float:
        """Offers, applies the answer; returns seconds from offer to connected."""
        pc = self.pc
        pc.addTrack(ToneAudio())
        pc.addTrack(PatternVideo(self.width, self.height, self.fps))
        for _ in range(self.extra_slots):  # more parties to receive (三方连线)
            pc.addTransceiver("audio", direction="recvonly")
            pc.addTransceiver("video", direction="recvonly")
        self.channel = pc.createDataChannel("window")

        @self.channel.on("message")  # type: ignore[untyped-decorator]
        def on_message(message: Any) -> None:
            self.messages.append(message)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            counter = Received(track.kind)
            self.received.append(counter)
            self._tasks.append(asyncio.ensure_future(self._count(track, counter)))

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "connected":
                self.connected.set()

        started = time.perf_counter()
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        answer = await signal(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(self.connected.wait(), 20)
        return time.perf_counter() - started

    @staticmethod
    async def _count(track: MediaStreamTrack, counter: Received) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                now = time.time()
                counter.first = counter.first or now
                counter.last = now
                counter.frames += 1

    def frames(self, kind: str) -> list[int]:
        return [r.frames for r in self.received if r.kind == kind]

    def send(self, message: str) -> None:
        self.channel.send(message)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()
