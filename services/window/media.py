"""The media of remote windows: one RTCPeerConnection per party to this node (never browser
to browser); every party's audio and video forwarded to every other party and recorded into
one WebM file per window, all as encoded packets (see passthrough.py): nothing is decoded or
encoded here.

Signaling is client-driven and never renegotiated. A party offers, in this order, one
send-receive audio and video pair for its own media, plus one receive-only audio and video
pair for each further seat of the window (a three-seat window: two pairs in all). The
answer fills receive slot i with the i-th other seat in window order (applicant, official,
third seat), as a track whose id is "<seat>-<kind>" and whose stream id is the seat; a slot
waits while its seat is empty and follows the seat's party across rejoins. So parties may
join in any order and rejoin at will without anyone renegotiating. Codecs are VP8 and Opus
(forwarding without transcoding needs one codec for all); an offer without them is refused.

A party whose connection fails, closes, or sends nothing for `media_timeout_s` has left; it
may offer again on its seat within `grace_s`, after which the window closes. A new offer on
a connected seat replaces the old connection (a reloaded kiosk page).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc import sdp as sdp_parser
from aiortc.codecs import is_rtx
from aiortc.rtcconfiguration import RTCBundlePolicy

from services.window import hooks
from services.window.hooks import EventHook, WindowEvent
from services.window.ice import rtc_configuration
from services.window.messages import Conversation
from services.window.passthrough import Feed, ForwardTrack
from services.window.recorder import Recording, WindowRecorder, describe_recording

log = logging.getLogger(__name__)
REQUIRED_SEATS = ("applicant", "official")
THIRD_SEATS = frozenset({"clerk", "second_official", "interpreter"})
KINDS = ("audio", "video")
PASSTHROUGH_CODECS = {"audio": "audio/opus", "video": "video/vp8"}
MAX_SDP = 64 * 1024
TICK_S = 1.0
_WINDOW_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")


class WindowError(Exception):
    """Base of the errors a signaling handler maps to a status."""


class UnknownWindow(WindowError, KeyError):
    pass


class WindowClosed(WindowError):
    pass


class UnknownSeat(WindowError, ValueError):
    pass


class InvalidSdp(WindowError, ValueError):
    """The offer could not be parsed or used; the window is left as it was."""


def validate_seats(seats: Iterable[str]) -> tuple[str, ...]:
    """applicant, official, and at most one third seat (clerk, second official,
    interpreter), in that order."""
    given = list(seats)
    third = [s for s in given if s not in REQUIRED_SEATS]
    if (
        len(set(given)) != len(given)
        or not set(REQUIRED_SEATS) <= set(given)
        or len(third) > 1
        or not set(third) <= THIRD_SEATS
    ):
        raise UnknownSeat(
            f"seats must be applicant, official and at most one of {sorted(THIRD_SEATS)}: {given}"
        )
    return (*REQUIRED_SEATS, *third)


def one_transport(config: RTCConfiguration) -> RTCConfiguration:
    """The configuration with max-bundle: every slot on one transport. (Answering with
    aiortc's default, "balanced", a second video slot stays on a transport BUNDLE discards,
    and never sends.) No servers stays no servers: never aiortc's public STUN default."""
    return RTCConfiguration(
        iceServers=list(config.iceServers or []),
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
        iceTransportPolicy=config.iceTransportPolicy,
    )


def parse_offer(sdp: str) -> Any:
    """The parsed offer, or InvalidSdp before any connection exists."""
    if not isinstance(sdp, str) or not sdp.strip() or len(sdp) > MAX_SDP:
        raise InvalidSdp(f"an offer is SDP text of at most {MAX_SDP} bytes")
    try:
        description = sdp_parser.SessionDescription.parse(sdp)
    except Exception as error:  # the parser raises ValueError, IndexError, KeyError…
        raise InvalidSdp(f"unparseable SDP: {error!r}") from error
    media = [m for m in description.media if m.kind in KINDS]
    if not media:
        raise InvalidSdp("the offer has no audio or video")
    for m in media:
        if (
            m.ice is None
            or not m.ice.usernameFragment
            or not m.ice.password
            or m.dtls is None
            or not m.dtls.fingerprints
        ):
            raise InvalidSdp(f"{m.kind} section lacks ICE credentials or a DTLS fingerprint")
    return description


@dataclass(eq=False)
class Party:
    seat: str
    pc: RTCPeerConnection | None = None
    channel: Any = None
    connected: bool = False
    joined: bool = False  # connected at least once
    connected_at: float = 0.0  # monotonic
    left_at: float | None = None  # monotonic, while away
    forwards: list[ForwardTrack] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    baseline: dict[str, float] = field(default_factory=dict)  # counters at the last stats


@dataclass(eq=False)
class Window:
    id: str
    seats: tuple[str, ...]
    case_id: str = ""
    official_id: str = ""
    state: str = "open"  # open → connected (every required seat) → closed
    close_reason: str = ""
    opened_at: float = field(default_factory=time.time)
    parties: dict[str, Party] = field(default_factory=dict)
    feeds: dict[tuple[str, str], Feed] = field(default_factory=dict)
    recorder: WindowRecorder | None = None
    recording: Recording | None = None
    first_offer_at: float | None = None  # monotonic
    conversation: Conversation = field(default_factory=Conversation)
    grace: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    closing: asyncio.Future[Recording | None] | None = None

    @property
    def connected_seats(self) -> list[str]:
        return [s for s in self.seats if self.parties[s].connected]


class WindowMedia:
    """Every live window of this node.

    `on_event` (settable later) receives the events of hooks.py, in order, one at a time.
    STUN/TURN come only from `config`: a configuration (rtc_configuration(urls)), or a
    function called for each new connection (ice_configuration, fresh TURN credentials);
    the default has no servers.
    """

    def __init__(
        self,
        recordings: Path,
        config: RTCConfiguration | Callable[[], RTCConfiguration] | None = None,
        *,
        on_event: EventHook | None = None,
        grace_s: float = 60.0,
        stats_interval_s: float = 5.0,
        media_timeout_s: float = 15.0,
        record: bool = True,
        keep_closed: int = 1000,
    ) -> None:
        self.recordings = recordings
        self._config = config or rtc_configuration([])
        self.on_event = on_event
        self.grace_s = grace_s
        self.stats_interval_s = stats_interval_s
        self.media_timeout_s = media_timeout_s
        self.record = record
        self.keep_closed = keep_closed
        self._live: dict[str, Window] = {}
        self._closed: OrderedDict[str, Window] = OrderedDict()  # answerable, without media
        self._events: asyncio.Queue[WindowEvent] = asyncio.Queue()
        self._dispatcher: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

    def connection_config(self) -> RTCConfiguration:
        """The configuration of the next peer connection."""
        config = self._config() if callable(self._config) else self._config
        return one_transport(config)

    # ------------------------------------------------------------------ windows

    @property
    def windows(self) -> Mapping[str, Window]:
        """The live windows (read-only)."""
        return MappingProxyType(self._live)

    def get(self, window_id: str) -> Window | None:
        """A live window, or a recently closed one (state "closed", no media)."""
        return self._live.get(window_id) or self._closed.get(window_id)

    def open(
        self,
        seats: Iterable[str] = REQUIRED_SEATS,
        *,
        window_id: str | None = None,
        case_id: str = "",
        official_id: str = "",
    ) -> Window:
        window_id = window_id or str(uuid.uuid4())
        if not _WINDOW_ID.fullmatch(window_id):
            raise ValueError(f"window ids are 1-128 of [A-Za-z0-9_.-]: {window_id!r}")
        if window_id in self._live or window_id in self._closed:
            raise ValueError(f"window {window_id} exists")
        seat_list = validate_seats(seats)
        window = Window(window_id, seat_list, case_id, official_id)
        window.parties = {seat: Party(seat) for seat in seat_list}
        window.feeds = {(seat, kind): Feed(seat, kind) for seat in seat_list for kind in KINDS}
        if self.record:
            window.recorder = WindowRecorder(
                self.recordings / f"{window_id}.webm", list(seat_list), title=f"window {window_id}"
            )
            for (seat, kind), feed in window.feeds.items():
                feed.subscribe(window.recorder.sink(seat, kind))
        self._live[window_id] = window
        self._start_tasks()
        return window

    def _live_window(self, window_id: str) -> Window:
        window = self._live.get(window_id)
        if window is None:
            if window_id in self._closed:
                raise WindowClosed(window_id)
            raise UnknownWindow(window_id)
        if window.state == "closed":
            raise WindowClosed(window_id)
        return window

    async def close(
        self, window_id: str, reason: str = "completed", *, seat: str | None = None
    ) -> Recording | None:
        """Closes every connection of the window and finishes its recording; idempotent
        (a closed window's recording again)."""
        window = self._live.get(window_id)
        if window is None:
            closed = self._closed.get(window_id)
            if closed is None:
                raise UnknownWindow(window_id)
            return closed.recording
        if window.closing is not None:
            return await asyncio.shield(window.closing)
        window.closing = asyncio.get_running_loop().create_future()
        window.state, window.close_reason = "closed", reason
        recording: Recording | None = None
        try:
            for task in window.grace.values():
                task.cancel()
            window.grace.clear()
            connections = []
            for party in window.parties.values():
                self._stop_forwards(party)
                if party.pc is not None:
                    connections.append(party.pc)
                party.pc, party.channel, party.connected = None, None, False
            for feed in window.feeds.values():
                feed.detach()
            await asyncio.gather(*(self._close_pc(pc) for pc in connections))
        finally:
            try:
                path = window.recorder.close() if window.recorder is not None else None
                if path is not None:
                    recording = await asyncio.to_thread(describe_recording, path)
            except Exception:
                log.exception("window %s: recording not finished", window_id)
            finally:
                window.recording = recording
                self._emit(hooks.Closed(window, reason, time.time() - window.opened_at, seat))
                if recording is not None:
                    self._emit(hooks.RecordingStored(window, recording))
                self._forget(window)
                window.closing.set_result(recording)
        return recording

    def _forget(self, window: Window) -> None:
        """A closed window keeps its facts, not its connections, feeds or recorder."""
        self._live.pop(window.id, None)
        for party in window.parties.values():
            party.forwards, party.baseline = [], {}
        window.feeds, window.recorder = {}, None
        self._closed[window.id] = window
        while len(self._closed) > self.keep_closed:
            self._closed.popitem(last=False)

    async def drain(self, timeout: float = 10.0) -> None:
        """Waits until every event emitted so far has been delivered (not from the hook)."""
        if self._dispatcher is not None:
            await asyncio.wait_for(self._events.join(), timeout)

    async def shutdown(self) -> None:
        """Closes every window and connection; delivers the events still queued."""
        try:
            for window_id in list(self._live):
                try:
                    await self.close(window_id, "shutdown")
                except Exception:
                    log.exception("window %s: close failed", window_id)
        finally:
            if self._ticker is not None:
                self._ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._ticker
                self._ticker = None
            if self._background:
                await asyncio.wait(self._background, timeout=10)
            if self._dispatcher is not None:
                with contextlib.suppress(TimeoutError):
                    await self.drain()
                self._dispatcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._dispatcher
                self._dispatcher = None

    # ------------------------------------------------------------------ signaling

    async def offer(self, window_id: str, seat: str, sdp: str) -> str:
        """The answer to a party's offer. InvalidSdp (and the other WindowErrors) leave the
        window exactly as it was."""
        window = self._live_window(window_id)
        party = window.parties.get(seat)
        if party is None:
            raise UnknownSeat(f"window {window_id} has no {seat} seat")
        description = parse_offer(sdp)
        async with party.lock:
            window = self._live_window(window_id)
            pc = RTCPeerConnection(self.connection_config())
            forwards: list[ForwardTrack] = []
            try:
                try:
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                except Exception as error:
                    raise InvalidSdp(f"offer refused: {error}") from error
                incoming = self._negotiate(window, seat, pc, description, forwards)
                await pc.setLocalDescription(await pc.createAnswer())
                self._live_window(window_id)  # closed meanwhile?
            except BaseException:
                for forward in forwards:
                    forward.stop()
                await self._close_pc(pc)
                raise
            # commit: from here on the window uses the new connection
            window.first_offer_at = window.first_offer_at or time.monotonic()
            if party.pc is not None:
                self._dropped(window, party, "replaced")
            party.pc, party.forwards, party.baseline = pc, forwards, {}
            for kind, receiver in incoming.items():
                window.feeds[(seat, kind)].attach(receiver)
            self._wire(window, party, pc)
            return str(pc.localDescription.sdp)

    def _negotiate(
        self, window: Window, seat: str, pc: RTCPeerConnection, description: Any, forwards: list[ForwardTrack]
    ) -> dict[str, Any]:
        """Keeps VP8/Opus only, finds the party's own audio and video, and fills the receive
        slots with the other seats' forward tracks. Returns the party's receivers by kind."""
        directions = {m.rtp.muxId: m.direction for m in description.media if m.kind in KINDS}
        incoming: dict[str, Any] = {}
        slots: dict[str, list[Any]] = {kind: [] for kind in KINDS}
        for transceiver in pc.getTransceivers():
            direction = directions.get(transceiver.mid, "inactive")
            if direction == "inactive":
                continue
            _keep_passthrough_codecs(transceiver)
            if direction in ("sendrecv", "sendonly") and transceiver.kind not in incoming:
                incoming[transceiver.kind] = transceiver.receiver
            if direction in ("sendrecv", "recvonly"):
                slots[transceiver.kind].append(transceiver)
        others = [s for s in window.seats if s != seat]
        for kind, transceivers in slots.items():
            for other, transceiver in zip(others, transceivers, strict=False):
                forward = ForwardTrack(window.feeds[(other, kind)], f"{other}-{kind}")
                forward.bind(transceiver.sender)
                transceiver.sender._stream_id = other  # the answer's msid names the seat
                transceiver.direction = "sendrecv"  # answered as sendrecv or sendonly
                forwards.append(forward)
        return incoming

    def _wire(self, window: Window, party: Party, pc: RTCPeerConnection) -> None:
        @pc.on("connectionstatechange")
        def on_state() -> None:
            if party.pc is not pc or window.state == "closed":
                return
            if pc.connectionState == "connected" and not party.connected:
                self._connected(window, party)
            elif pc.connectionState in ("failed", "closed"):
                self._dropped(window, party, pc.connectionState)

        @pc.on("datachannel")
        def on_channel(channel: Any) -> None:
            if party.pc is not pc:
                return
            party.channel = channel

            @channel.on("message")  # type: ignore[untyped-decorator]
            def on_message(message: str | bytes) -> None:
                if party.pc is pc and window.state != "closed":
                    self._message(window, party, message)

            summary = window.conversation.summary
            if (
                summary is not None
                and not window.conversation.confirmed
                and summary.get("from") != party.seat
            ):
                self._send(party, summary)  # a rejoining kiosk sees what awaits confirmation

    # ------------------------------------------------------------------ parties

    def _connected(self, window: Window, party: Party) -> None:
        party.connected, party.connected_at = True, time.monotonic()
        if party.left_at is not None:
            away = time.monotonic() - party.left_at
            party.left_at = None
            task = window.grace.pop(party.seat, None)
            if task is not None:
                task.cancel()
            self._emit(hooks.PartyRejoined(window, party.seat, away))
        elif not party.joined:
            self._emit(hooks.PartyJoined(window, party.seat))
        party.joined = True
        if window.state == "open" and all(window.parties[s].connected for s in REQUIRED_SEATS):
            window.state = "connected"
            started = window.first_offer_at or time.monotonic()
            self._emit(hooks.Connected(window, (time.monotonic() - started) * 1000))

    def _dropped(self, window: Window, party: Party, reason: str) -> None:
        """The party's connection is gone (or replaced): close it, and if it had been up,
        the party has left and its grace period starts."""
        pc = party.pc
        party.pc, party.channel = None, None
        self._stop_forwards(party)
        for kind in KINDS:
            window.feeds[(party.seat, kind)].detach()
        if pc is not None:
            self._spawn(self._close_pc(pc))
        if not party.connected:
            return  # never came up; if the party was away, its grace period runs on
        party.connected, party.left_at = False, time.monotonic()
        self._emit(hooks.PartyLeft(window, party.seat, reason))
        if party.seat not in window.grace:
            window.grace[party.seat] = self._spawn(self._grace(window, party))

    async def _grace(self, window: Window, party: Party) -> None:
        await asyncio.sleep(self.grace_s)
        if window.state != "closed" and not party.connected:
            window.grace.pop(party.seat, None)  # close() must not cancel this task
            await self.close(window.id, "grace_expired", seat=party.seat)

    @staticmethod
    def _stop_forwards(party: Party) -> None:
        for forward in party.forwards:
            forward.stop()
        party.forwards = []

    @staticmethod
    async def _close_pc(pc: RTCPeerConnection) -> None:
        try:
            await asyncio.wait_for(pc.close(), timeout=10)
        except Exception:
            log.exception("closing a peer connection failed")

    # ------------------------------------------------------------------ messages

    def _message(self, window: Window, sender: Party, raw: str | bytes) -> None:
        outcome = window.conversation.receive(sender.seat, raw, time.time())
        if outcome.reply is not None:
            self._send(sender, outcome.reply)
        if outcome.relay is not None:
            for party in window.parties.values():
                if party is not sender:
                    self._send(party, outcome.relay)
            if outcome.kind != "snapshot":
                self._emit(hooks.WindowMessage(window, sender.seat, outcome.kind, outcome.relay))
        if outcome.snapshot is not None:
            self._emit(hooks.DocumentSnapshot(window, sender.seat, outcome.snapshot))

    @staticmethod
    def _send(party: Party, message: dict[str, Any]) -> bool:
        channel = party.channel
        if channel is None or channel.readyState != "open":
            return False
        try:
            channel.send(json.dumps(message, ensure_ascii=False))
        except Exception as error:  # a channel closing under us
            log.warning("message to %s not sent: %r", party.seat, error)
            return False
        return True

    def send(self, window_id: str, message: dict[str, Any], seats: Iterable[str] | None = None) -> int:
        """Pushes a service message ("from": "service") to the given (default: every)
        connected seat; returns how many received it."""
        window = self._live_window(window_id)
        stamped = {**message, "from": "service", "sent_at": time.time()}
        targets = window.seats if seats is None else list(seats)
        return sum(self._send(window.parties[s], stamped) for s in targets if s in window.parties)

    # ------------------------------------------------------------------ events, timers

    def _emit(self, event: WindowEvent) -> None:
        self._events.put_nowait(event)
        self._start_tasks()

    def _start_tasks(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch(), name="window-events")
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._tick(), name="window-tick")

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _dispatch(self) -> None:
        while True:
            event = await self._events.get()
            try:
                if self.on_event is not None:
                    await self.on_event(event)
            except Exception:
                log.exception("window event hook failed on %s", type(event).__name__)
            finally:
                self._events.task_done()

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        next_stats = loop.time() + self.stats_interval_s
        while True:
            await asyncio.sleep(TICK_S)
            if self.media_timeout_s > 0:
                self._check_silence()
            if self.stats_interval_s > 0 and loop.time() >= next_stats:
                next_stats = loop.time() + self.stats_interval_s
                for window in list(self._live.values()):
                    for party in list(window.parties.values()):
                        if party.connected and party.pc is not None and window.state != "closed":
                            try:
                                await self._stats(window, party)
                            except Exception:
                                log.exception("stats of %s failed", party.seat)

    def _check_silence(self) -> None:
        now = time.monotonic()
        for window in list(self._live.values()):
            for party in window.parties.values():
                if not party.connected or window.state == "closed":
                    continue
                arrivals = [window.feeds[(party.seat, k)].last_arrival or 0.0 for k in KINDS]
                if now - max([party.connected_at, *arrivals]) > self.media_timeout_s:
                    self._dropped(window, party, "media_timeout")

    async def _stats(self, window: Window, party: Party) -> None:
        pc = party.pc
        assert pc is not None
        report = await pc.getStats()
        lost = received = 0
        jitter_ms = 0.0
        rtt_ms: float | None = None
        for stat in report.values():
            if stat.type == "inbound-rtp":
                lost += max(0, int(stat.packetsLost))
                received += int(stat.packetsReceived)
                clock = 90_000 if stat.kind == "video" else 48_000
                jitter_ms = max(jitter_ms, stat.jitter * 1000 / clock)
            elif stat.type == "remote-inbound-rtp" and stat.roundTripTime is not None:
                rtt_ms = max(rtt_ms or 0.0, float(stat.roundTripTime) * 1000)
        if party.pc is not pc or window.state == "closed":
            return
        video, audio = window.feeds[(party.seat, "video")], window.feeds[(party.seat, "audio")]
        now = time.monotonic()
        counters = {
            "at": now,
            "lost": lost,
            "received": received,
            "frames": video.frames,
            "bytes": video.bytes + audio.bytes,
        }
        for forward in party.forwards:
            counters[forward.id] = forward.frames
        before = party.baseline or {
            **counters,
            "at": party.connected_at,
            "lost": 0,
            "received": 0,
            "frames": video.frames,
            "bytes": video.bytes + audio.bytes,
        }
        party.baseline = counters
        interval = max(now - before["at"], 1e-3)
        lost_now = lost - before["lost"]
        received_now = received - before["received"]
        delivered = [
            (forward.frames - before.get(forward.id, 0)) / interval
            for forward in party.forwards
            if forward.kind == "video" and forward.feed.receiver is not None
        ]
        self._emit(
            hooks.MediaStats(
                window,
                party.seat,
                rtt_ms=rtt_ms,
                packet_loss=lost_now / (lost_now + received_now) if lost_now + received_now > 0 else 0.0,
                jitter_ms=jitter_ms,
                bitrate_kbps=(counters["bytes"] - before["bytes"]) * 8 / interval / 1000,
                frame_rate=(video.frames - before["frames"]) / interval,
                delivered_frame_rate=min(delivered) if delivered else None,
            )
        )


def _keep_passthrough_codecs(transceiver: Any) -> None:
    """Negotiates only the codec every party shares (VP8 or Opus), and its RTX."""
    wanted = PASSTHROUGH_CODECS[transceiver.kind]
    codecs = transceiver._codecs  # set by setRemoteDescription from the offer
    base = next((c for c in codecs if c.mimeType.lower() == wanted), None)
    if base is None:
        raise InvalidSdp(
            f"the offer's {transceiver.kind} lacks {wanted} (required for forwarding without transcoding)"
        )
    rtx = [c for c in codecs if is_rtx(c) and c.parameters.get("apt") == base.payloadType]
    transceiver._codecs = [base, *rtx[:1]]
