"""One audit recording per window (全程录音录像): every seat's VP8 video and Opus audio,
muxed as received into a single WebM file. Nothing is decoded or encoded.

Streams are declared for every seat when the file starts (a seat that never joins leaves an
empty pair), titled "<seat> video" / "<seat> audio". Timestamps are milliseconds from the
first frame of the window: each source's first frame is placed at its arrival time and the
frames after it keep the source's own RTP spacing, so the seats stay in step with each other
and a rejoin shows as the gap it was. Video resumes at a keyframe after a rejoin.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from services.window.passthrough import EncodedFrame, vp8_dimensions

log = logging.getLogger(__name__)
NOMINAL_SIZE = (640, 480)  # header size of a seat whose video has not been seen yet
HEADER_WAIT_S = 2.0  # how long the header may wait for the seats' first keyframes
MS = Fraction(1, 1000)


@dataclass(frozen=True)
class Recording:
    path: Path
    sha256: str
    duration_s: float
    size: int


def describe_recording(path: Path) -> Recording:
    """SHA-256, duration (as a player reads it) and size of a finished recording."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    with av.open(str(path)) as container:
        duration = (container.duration or 0) / 1_000_000
    return Recording(path, digest.hexdigest(), duration, path.stat().st_size)


class _Input:
    """One stream of the file, fed by one seat's audio or video."""

    def __init__(self, recorder: WindowRecorder, seat: str, kind: str) -> None:
        self.recorder, self.seat, self.kind = recorder, seat, kind
        self.stream: Any = None
        self.source = -1
        self.anchor_ms = 0.0
        self.anchor_ts = 0
        self.last_pts = -1
        self.admitted = -1  # the source whose frames are let in (video: from a keyframe on)
        self.dimensions: tuple[int, int] | None = None

    def push(self, frame: EncodedFrame) -> None:
        self.recorder.add(self, frame)

    def pts(self, frame: EncodedFrame, start: float) -> int:
        if frame.source != self.source:
            self.source = frame.source
            self.anchor_ms = (frame.arrival - start) * 1000
            self.anchor_ts = frame.timestamp
        pts = round(self.anchor_ms + (frame.timestamp - self.anchor_ts) * 1000 / frame.clock_rate)
        pts = max(pts, self.last_pts + 1)  # strictly increasing per stream
        self.last_pts = pts
        return pts


class WindowRecorder:
    """`sink(seat, kind)` gives the subscriber for a seat's feed; `close()` finishes the file
    and returns its path, or None when no media ever arrived."""

    def __init__(
        self, path: Path, seats: list[str], title: str = "", header_wait_s: float = HEADER_WAIT_S
    ) -> None:
        self.path = path
        self.title = title
        self.header_wait_s = header_wait_s
        self.inputs = {
            (seat, kind): _Input(self, seat, kind) for seat in seats for kind in ("video", "audio")
        }
        self.container: Any = None
        self.start: float | None = None
        self.pending: list[tuple[_Input, EncodedFrame]] = []
        self.packets = 0
        self.errors = 0
        self.closed = False

    def sink(self, seat: str, kind: str) -> _Input:
        return self.inputs[(seat, kind)]

    def add(self, source: _Input, frame: EncodedFrame) -> None:
        if self.closed:
            return
        if source.kind == "video":
            if frame.source != source.admitted:  # a new connection: start at its keyframe
                if not frame.keyframe:
                    return
                source.admitted = frame.source
            if frame.keyframe:
                source.dimensions = vp8_dimensions(frame.data) or source.dimensions
        if self.start is None:
            self.start = frame.arrival
        if self.container is None:
            self.pending.append((source, frame))
            if self._ready(frame.arrival):
                self._open()
            return
        self._write(source, frame)

    def _ready(self, now: float) -> bool:
        """The header waits (buffering) for every seat's video size, or header_wait_s."""
        assert self.start is not None
        sizes = [i.dimensions for i in self.inputs.values() if i.kind == "video"]
        return all(sizes) or now - self.start >= self.header_wait_s

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        container: Any = av.open(
            str(self.path), "w", format="webm", container_options={"max_interleave_delta": "1000000"}
        )
        if self.title:
            container.metadata["title"] = self.title
        for item in self.inputs.values():
            if item.kind == "video":
                width, height = item.dimensions or NOMINAL_SIZE
                stream = container.add_mux_stream("vp8", width=width, height=height)
            else:  # an Opus header (extradata) comes from an opened codec context
                stream = container.add_stream("libopus", rate=48000, layout="stereo")
            stream.metadata["title"] = f"{item.seat} {item.kind}"
            stream.time_base = MS
            item.stream = stream
        container.start_encoding()
        self.container = container
        pending, self.pending = self.pending, []
        for source, frame in pending:
            self._write(source, frame)

    def _write(self, source: _Input, frame: EncodedFrame) -> None:
        assert self.start is not None
        packet = av.Packet(frame.data)
        packet.stream = source.stream
        packet.pts = packet.dts = source.pts(frame, self.start)
        packet.time_base = MS
        packet.is_keyframe = frame.keyframe
        try:
            self.container.mux(packet)
            self.packets += 1
        except av.FFmpegError as error:  # keep the window going; the gap shows in the file
            self.errors += 1
            if self.errors <= 3:
                log.warning("recording %s: packet dropped: %s", self.path.name, error)

    def close(self) -> Path | None:
        """Writes what is pending and the trailer; idempotent."""
        if self.closed:
            return self.path if self.container is not None else None
        if self.container is None and self.pending:
            self._open()
        self.closed = True
        if self.container is None:
            return None
        try:
            self.container.close()
        finally:
            self.inputs.clear()
        return self.path
