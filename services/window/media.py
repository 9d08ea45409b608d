"""The media of remote windows: one RTCPeerConnection per party to this service (never
browser to browser), every party's audio and video forwarded to the others through proxy
tracks, and the applicant's and official's tracks recorded to one file per window.

Signaling is client-driven: each party sends an offer and gets an answer. A party's offer
carries one send-receive audio and video pair and, for a three-party window, one more
receive-only audio and video pair, so the answer can carry every other party's media in
slots fixed at join time; a slot's proxy track waits until that party's media arrives and
switches when the party rejoins, so nobody renegotiates when others come and go.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRecorder, MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger(__name__)
REQUIRED = ("applicant", "official")  # the window is connected when both are
EventHook = Callable[..., Awaitable[None]]


class InvalidSdp(ValueError):
    """The offer could not be parsed or applied; the window is left as it was."""


class WindowClosed(Exception):
    pass


class ProxyTrack(MediaStreamTrack):
    """What one party receives of another: frames from the current source, which may change
    (rejoin) or be missing for a while (not yet joined)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._source: MediaStreamTrack | None = None
        self._ready = asyncio.Event()
        self.frames = 0

    def attach(self, source: MediaStreamTrack) -> None:
        self._source = source
        self._ready.set()

    async def recv(self) -> Any:
        while True:
            await self._ready.wait()
            source = self._source
            assert source is not None
            try:
                frame = await source.recv()
            except MediaStreamError:
                if self._source is source:  # that party left: wait for its return
                    self._source = None
                    self._ready.clear()
                continue
            self.frames += 1
            return own_copy(frame)


def own_copy(frame: Any) -> Any:
    """A private copy: a relayed frame goes to several encoders on several threads, and
    aiortc's encoders write to the frame they encode (picture type)."""
    copy: Any
    if isinstance(frame, av.VideoFrame):
        copy = av.VideoFrame(frame.width, frame.height, frame.format.name)
    else:
        copy = av.AudioFrame(format=frame.format.name, layout=frame.layout.name,
                             samples=frame.samples)
        copy.sample_rate = frame.sample_rate
    for source, target in zip(frame.planes, copy.planes, strict=True):
        if not isinstance(frame, av.VideoFrame) or source.line_size == target.line_size:
            target.update(bytes(source)[:target.buffer_size])
            continue
        # decoders pad rows differently: copy each row, not the raw buffer
        rows = target.buffer_size // target.line_size
        width = min(source.line_size, target.line_size)
        data, out = memoryview(source), bytearray(target.buffer_size)
        for row in range(rows):
            out[row * target.line_size:row * target.line_size + width] = \
                data[row * source.line_size:row * source.line_size + width]
        target.update(bytes(out))
    copy.pts, copy.time_base = frame.pts, frame.time_base
    return copy


@dataclass
class Party:
    role: str
    pc: RTCPeerConnection | None = None
    tracks: dict[str, MediaStreamTrack] = field(default_factory=dict)
    outgoing: dict[tuple[str, str], ProxyTrack] = field(default_factory=dict)
    channel: Any = None
    connected: bool = False
    joined_once: bool = False
    left_at: float | None = None
    bytes_received: int = 0
    frames_sent: int = 0


@dataclass
class Window:
    id: str
    case_id: str
    official_id: str
    seats: list[str]
    parties: dict[str, Party] = field(default_factory=dict)
    relay: MediaRelay = field(default_factory=MediaRelay)
    state: str = "open"
    close_reason: str = ""
    opened_at: float = field(default_factory=time.time)
    first_offer_at: float | None = None
    recorder: MediaRecorder | None = None
    recording: Path | None = None
    recording_started: float | None = None
    grace_tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Recording:
    path: Path
    sha256: str
    duration_s: float
    size: int


def describe_recording(path: Path) -> Recording:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    with av.open(str(path)) as container:
        duration = (container.duration or 0) / 1_000_000
    return Recording(path, digest.hexdigest(), duration, path.stat().st_size)


async def _ignore(*_: Any, **__: Any) -> None:
    """Until the service attaches its event hook (the window API does at construction)."""


class WindowMedia:
    """Every live window of this node. `on_event(kind, window, **fields)` is awaited for each
    window event; `on_snapshot(window, role, data)` for a document-camera image."""

    def __init__(self, config: RTCConfiguration, recordings: Path, on_event: EventHook | None,
                 on_snapshot: Callable[[Window, str, bytes], Awaitable[None]] | None = None,
                 grace_s: float = 60.0, stats_interval_s: float = 5.0, record: bool = True) -> None:
        self.config = config
        self.recordings = recordings
        self.on_event: EventHook = on_event or _ignore
        self.on_snapshot = on_snapshot
        self.grace_s = grace_s
        self.stats_interval_s = stats_interval_s
        self.record = record
        self.windows: dict[str, Window] = {}
        # closed windows stay answerable for a while, without their connections and relays
        self.closed: OrderedDict[str, Window] = OrderedDict()
        self._stats_task: asyncio.Task[None] | None = None
        recordings.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------ lifecycle

    def open(self, case_id: str, official_id: str, third_party: str | None = None) -> Window:
        seats = [*REQUIRED, *([third_party] if third_party else [])]
        window = Window(str(uuid.uuid4()), case_id, official_id, seats)
        window.parties = {role: Party(role) for role in seats}
        self.windows[window.id] = window
        if self._stats_task is None and self.stats_interval_s > 0:
            self._stats_task = asyncio.create_task(self._stats_loop(), name="media-stats")
        return window

    async def close(self, window_id: str, reason: str) -> Recording | None:
        window = self.windows.get(window_id)
        if window is None or window.state == "closed":
            return None
        window.state = "closed"
        window.close_reason = reason
        for task in window.grace_tasks.values():
            task.cancel()
        recording: Recording | None = None
        try:
            if window.recorder is not None:
                await window.recorder.stop()
        finally:
            for party in window.parties.values():
                if party.pc is not None:
                    await party.pc.close()
        if window.recording is not None and window.recording.exists():
            recording = await asyncio.to_thread(describe_recording, window.recording)
        await self.on_event("closed", window, reason=reason,
                            duration_s=time.time() - window.opened_at)
        if recording is not None:
            await self.on_event("recording_stored", window, recording=recording)
        self._forget(window)
        return recording

    def _forget(self, window: Window) -> None:
        """Drops what a closed window held (peer connections, tracks, relay, recorder)."""
        self.windows.pop(window.id, None)
        for party in window.parties.values():
            party.pc, party.channel = None, None
            party.tracks.clear()
            party.outgoing.clear()
        window.relay, window.recorder = MediaRelay(), None
        window.grace_tasks.clear()
        self.closed[window.id] = window
        while len(self.closed) > 1000:
            self.closed.popitem(last=False)

    def find(self, window_id: str) -> Window | None:
        return self.windows.get(window_id) or self.closed.get(window_id)

    async def shutdown(self) -> None:
        for window_id in list(self.windows):
            await self.close(window_id, "shutdown")
        if self._stats_task:
            self._stats_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stats_task

    # ------------------------------------------------------------ signaling

    async def offer(self, window_id: str, role: str, sdp: str) -> str:
        """The answer to a party's offer; InvalidSdp leaves the window untouched."""
        window = self.windows.get(window_id)
        if window is None or window.state == "closed":
            raise WindowClosed(window_id)
        pc = RTCPeerConnection(self.config)
        party = window.parties[role]
        incoming: dict[str, MediaStreamTrack] = {}  # aiortc announces tracks while applying
        self._wire(window, party, pc, incoming)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            if not pc.getTransceivers():  # aiortc lets text with no media section through
                raise ValueError("the offer has no audio or video")
        except Exception as exc:  # aiortc raises ValueError and friends on bad SDP
            await pc.close()
            raise InvalidSdp(str(exc) or type(exc).__name__) from exc
        window.first_offer_at = window.first_offer_at or time.time()
        previous = party.pc
        party.pc, party.tracks, party.outgoing = pc, {}, {}
        if previous is not None:
            await previous.close()
        for track in incoming.values():
            self._publish_track(window, party, track)
        others = [r for r in window.seats if r != role]
        for kind in ("audio", "video"):
            slots = [t for t in pc.getTransceivers() if t.kind == kind]
            for other, _ in zip(others, slots, strict=False):
                proxy = ProxyTrack(kind)
                pc.addTrack(proxy)
                party.outgoing[(other, kind)] = proxy
                source = window.parties[other].tracks.get(kind)
                if source is not None:
                    proxy.attach(window.relay.subscribe(source))
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        return str(pc.localDescription.sdp)

    def _publish_track(self, window: Window, party: Party, track: MediaStreamTrack) -> None:
        """A party's incoming track feeds the others' slots for it."""
        party.tracks[track.kind] = track
        for other in window.parties.values():
            proxy = other.outgoing.get((party.role, track.kind))
            if proxy is not None:
                proxy.attach(window.relay.subscribe(track))

    def _wire(self, window: Window, party: Party, pc: RTCPeerConnection,
              incoming: dict[str, MediaStreamTrack]) -> None:
        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if pc is party.pc:
                self._publish_track(window, party, track)
            else:  # still applying the offer: published once it is accepted
                incoming[track.kind] = track

        @pc.on("datachannel")
        def on_channel(channel: Any) -> None:
            party.channel = channel

            @channel.on("message")  # type: ignore[untyped-decorator]
            def on_message(message: Any) -> None:
                asyncio.ensure_future(self._message(window, party, message))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc is not party.pc or window.state == "closed":
                return
            if pc.connectionState == "connected" and not party.connected:
                await self._connected(window, party)
            elif pc.connectionState in {"failed", "closed", "disconnected"} and party.connected:
                await self._left(window, party, pc.connectionState)

    async def _connected(self, window: Window, party: Party) -> None:
        party.connected = True
        if party.left_at is not None:
            away = time.time() - party.left_at
            party.left_at = None
            task = window.grace_tasks.pop(party.role, None)
            if task:
                task.cancel()
            await self.on_event("party_rejoined", window, role=party.role, away_s=away)
        else:
            await self.on_event("party_joined", window, role=party.role)
        party.joined_once = True
        if window.state == "open" and all(window.parties[r].connected for r in REQUIRED):
            window.state = "connected"
            setup_ms = (time.time() - (window.first_offer_at or time.time())) * 1000
            await self.on_event("connected", window, setup_ms=setup_ms)
            await self._start_recording(window)

    async def _left(self, window: Window, party: Party, reason: str) -> None:
        party.connected = False
        party.left_at = time.time()
        await self.on_event("party_left", window, role=party.role, reason=reason)

        async def expire() -> None:
            await asyncio.sleep(self.grace_s)
            if party.left_at is not None and window.state != "closed":
                await self.close(window.id, "grace_expired")

        window.grace_tasks[party.role] = asyncio.create_task(expire())

    async def _start_recording(self, window: Window) -> None:
        if not self.record or window.recorder is not None:
            return
        # every party's tracks must be here before the recorder starts writing its header
        for _ in range(100):
            if all(len(window.parties[r].tracks) >= 2 for r in REQUIRED):
                break
            await asyncio.sleep(0.05)
        path = self.recordings / f"{window.id}.mp4"
        recorder = MediaRecorder(str(path))
        for role in REQUIRED:
            for track in window.parties[role].tracks.values():
                recorder.addTrack(window.relay.subscribe(track))
        await recorder.start()
        window.recorder, window.recording = recorder, path
        window.recording_started = time.time()

    async def _message(self, window: Window, sender: Party, raw: Any) -> None:
        """Window messages: the official's summary and the applicant's confirmation go to the
        other parties; a document-camera snapshot goes to intake as a material."""
        try:
            message = json.loads(raw)
        except (TypeError, ValueError):
            return
        kind = message.get("type")
        if kind == "snapshot" and self.on_snapshot is not None:
            import base64

            try:
                data = base64.b64decode(message.get("data", ""), validate=True)
            except ValueError:
                return
            await self.on_snapshot(window, sender.role, data)
            return
        if kind in {"summary", "confirm", "chat"}:
            outgoing = json.dumps({**message, "from": sender.role}, ensure_ascii=False)
            for party in window.parties.values():
                if party is not sender and party.channel is not None \
                        and party.channel.readyState == "open":
                    party.channel.send(outgoing)
            await self.on_event("message", window, role=sender.role, kind=kind)

    # ------------------------------------------------------------ quality

    async def _stats_loop(self) -> None:
        while True:
            await asyncio.sleep(self.stats_interval_s)
            for window in list(self.windows.values()):
                if window.state == "closed":
                    continue
                for party in window.parties.values():
                    if party.pc is not None and party.connected:
                        with contextlib.suppress(Exception):
                            await self._party_stats(window, party)

    async def _party_stats(self, window: Window, party: Party) -> None:
        assert party.pc is not None
        report = await party.pc.getStats()
        rtt = jitter = 0.0
        lost = received = byte_count = 0
        for stat in report.values():
            if stat.type == "remote-inbound-rtp" and getattr(stat, "roundTripTime", None):
                rtt = max(rtt, float(stat.roundTripTime) * 1000)
            if stat.type == "inbound-rtp":
                lost += int(getattr(stat, "packetsLost", 0) or 0)
                received += int(getattr(stat, "packetsReceived", 0) or 0)
                jitter = max(jitter, float(getattr(stat, "jitter", 0) or 0) * 1000)
                byte_count += int(getattr(stat, "bytesReceived", 0) or 0)
        frames = sum(p.frames for (_, kind), p in party.outgoing.items() if kind == "video")
        interval = self.stats_interval_s
        fields = {
            "rtt_ms": rtt, "packet_loss": lost / (lost + received) if lost + received else 0.0,
            "jitter_ms": jitter,
            "bitrate_kbps": max(0, byte_count - party.bytes_received) * 8 / interval / 1000,
            "frame_rate": max(0, frames - party.frames_sent) / interval,
        }
        party.bytes_received, party.frames_sent = byte_count, frames
        await self.on_event("media_stats", window, role=party.role, **fields)
