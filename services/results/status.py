"""The case status machine, driven by event type names. Pure, and it never raises: an
impossible transition keeps the status and returns an anomaly for operators.

Happy path (rank order):
    NEW → DRAFT → SUBMITTED → QUEUED → RESERVED → ASSIGNED → IN_WINDOW → DECIDED
        → RESULT_ISSUED → DELIVERED → EVALUATED → CLOSED
Side paths: RESERVED → QUEUED (reservation rejected or timed out); IN_WINDOW/ASSIGNED →
SUPPLEMENT_REQUESTED (补正) → SUBMITTED → QUEUED …; any open status → CANCELLED.

Events travel on different topics (routing's are keyed by province, the rest by case), so
one case's events may be seen slightly out of order. A forward event that arrives after the
case already moved past its status is "late": it keeps the status and is no anomaly.
Informational events (media stats, positions, joins, recordings, warnings) never move a case.
"""

from __future__ import annotations

from dataclasses import dataclass

INITIAL = "NEW"
ORDER = ["NEW", "DRAFT", "SUBMITTED", "QUEUED", "RESERVED", "ASSIGNED", "IN_WINDOW",
         "SUPPLEMENT_REQUESTED", "DECIDED", "RESULT_ISSUED", "DELIVERED", "EVALUATED", "CLOSED"]
RANK = {status: i for i, status in enumerate(ORDER)}
TERMINAL = {"CLOSED", "CANCELLED"}
STATUSES = [*ORDER, "CANCELLED"]

INFORMATIONAL = {
    "MaterialUploaded", "ReservationAccepted", "QueuePositionChanged", "QueueSlaBreached",
    "OfficialStateChanged", "WindowOpened", "WindowPartyJoined", "WindowMediaStats",
    "WindowPartyLeft", "WindowPartyRejoined", "WindowClosed", "WindowRecordingStored",
    "RectificationOpened", "RectificationClosed", "CaseDeadlineWarning", "CaseOverdue",
}

# event → (target status, the statuses it may come from). Coming from an earlier status than
# listed is an impossible jump (anomaly); from a later one, a late event (kept, no anomaly).
FORWARD: dict[str, tuple[str, set[str]]] = {
    "ApplicationCreated": ("DRAFT", {"NEW"}),
    "ApplicationSubmitted": ("SUBMITTED", {"NEW", "DRAFT", "SUPPLEMENT_REQUESTED"}),
    "CaseQueued": ("QUEUED", {"NEW", "DRAFT", "SUBMITTED", "RESERVED"}),
    "CaseReserved": ("RESERVED", {"SUBMITTED", "QUEUED"}),
    "CaseAssigned": ("ASSIGNED", {"SUBMITTED", "QUEUED", "RESERVED"}),
    "WindowConnected": ("IN_WINDOW", {"ASSIGNED"}),
    "ResultIssued": ("RESULT_ISSUED", {"DECIDED"}),
    "ResultDelivered": ("DELIVERED", {"RESULT_ISSUED"}),
    "EvaluationSubmitted": ("EVALUATED", {"IN_WINDOW", "DECIDED", "RESULT_ISSUED", "DELIVERED"}),
    "CaseClosed": ("CLOSED", set(ORDER) - {"CLOSED"}),
}


@dataclass(frozen=True)
class Transition:
    new_status: str
    anomaly: str | None = None


def apply(status: str, event_type: str, outcome: str | None = None) -> Transition:
    """The status after `event_type` (short proto name); `outcome` for DecisionRecorded."""
    if status not in RANK and status != "CANCELLED":
        return Transition(status, f"unknown status {status}")
    if event_type in INFORMATIONAL:
        return Transition(status)
    if status in TERMINAL:
        if event_type == "ApplicationCancelled" and status == "CANCELLED":
            return Transition(status)  # cancelled twice: harmless
        if event_type == "CaseClosed" and status == "CLOSED":
            return Transition(status)
        return Transition(status, f"{event_type} after the case was {status}")
    if event_type == "ApplicationCancelled":
        if RANK[status] >= RANK["DECIDED"]:
            return Transition(status, f"cancelled after a decision ({status})")
        return Transition("CANCELLED")
    if event_type in {"ReservationRejected", "ReservationTimedOut"}:
        # back to the head of the queue; a late one (already assigned) changes nothing
        return Transition("QUEUED" if status == "RESERVED" else status)
    if event_type == "DecisionRecorded":
        return _decision(status, outcome)
    if event_type in FORWARD:
        target, sources = FORWARD[event_type]
        if status in sources:
            return Transition(target)
        if RANK[status] >= RANK[target]:
            return Transition(status)  # late: the case already moved on
        return Transition(status, f"{event_type} while {status}: expected one of "
                                  f"{', '.join(sorted(sources, key=RANK.__getitem__))}")
    return Transition(status, f"unknown event type {event_type}")


def _decision(status: str, outcome: str | None) -> Transition:
    if status not in {"ASSIGNED", "IN_WINDOW"}:
        if RANK[status] > RANK["SUPPLEMENT_REQUESTED"]:
            return Transition(status, f"a second decision while {status}")
        return Transition(status, f"decision while {status}: the case is not assigned")
    if outcome == "SUPPLEMENT_REQUESTED":
        return Transition("SUPPLEMENT_REQUESTED")
    if outcome in {"APPROVED", "REJECTED", "TRANSFERRED"}:
        return Transition("DECIDED")
    return Transition(status, f"decision with unknown outcome {outcome}")
