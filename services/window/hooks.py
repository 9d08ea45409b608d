"""What the media of a window reports through its one hook, `on_event(event)`.

Events of a WindowMedia are delivered one at a time, in the order they happened, by one
task: a slow hook delays later events, never the media. A hook that raises is logged and
the next event is delivered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.window.messages import Snapshot
from services.window.recorder import Recording

if TYPE_CHECKING:
    from services.window.media import Window


@dataclass(frozen=True)
class PartyJoined:
    window: Window
    seat: str


@dataclass(frozen=True)
class Connected:
    """Every required seat (applicant, official) is connected, the first time."""

    window: Window
    setup_ms: float  # from the first offer of the window to this moment


@dataclass(frozen=True)
class PartyLeft:
    window: Window
    seat: str
    reason: str  # "failed", "closed", "media_timeout" or "replaced" (a new offer came)


@dataclass(frozen=True)
class PartyRejoined:
    window: Window
    seat: str
    away_s: float


@dataclass(frozen=True)
class Closed:
    window: Window
    reason: str  # the caller's reason, "grace_expired" or "shutdown"
    duration_s: float  # since the window opened
    seat: str | None = None  # the seat whose grace period expired


@dataclass(frozen=True)
class RecordingStored:
    window: Window
    recording: Recording


@dataclass(frozen=True)
class MediaStats:
    """One party's connection to this node over the last interval."""

    window: Window
    seat: str
    rtt_ms: float | None  # from the party's receiver reports; None until it sent one
    packet_loss: float  # fraction of the party's packets lost on the way here
    jitter_ms: float  # of the party's media arriving here (the worse of audio and video)
    bitrate_kbps: float  # encoded audio + video received from the party
    frame_rate: float  # video frames received from the party per second
    delivered_frame_rate: float | None  # the least fps among the others' videos sent to it


@dataclass(frozen=True)
class WindowMessage:
    """A relayed data channel message (summary, confirm, chat) as the others received it."""

    window: Window
    seat: str
    kind: str
    body: dict[str, Any]


@dataclass(frozen=True)
class DocumentSnapshot:
    """A document-camera image a party sent (hand it to intake as a material)."""

    window: Window
    seat: str
    snapshot: Snapshot


WindowEvent = (
    PartyJoined
    | Connected
    | PartyLeft
    | PartyRejoined
    | Closed
    | RecordingStored
    | MediaStats
    | WindowMessage
    | DocumentSnapshot
)
EventHook = Callable[[WindowEvent], Awaitable[None]]
