"""The case status machine, driven by event type names (the proto messages' short names).

Pure, and it never raises: an impossible transition keeps the status and returns an anomaly
description, which the projection stores for operators.

Statuses, in journey order (the order "late" is judged by, see below):

    NEW → DRAFT → SUBMITTED → QUEUED → RESERVED → ASSIGNED → IN_WINDOW
        → SUPPLEMENT_REQUESTED → DECIDED → RESULT_ISSUED → DELIVERED → EVALUATED → CLOSED
    and CANCELLED, off the line. CLOSED and CANCELLED are terminal.

NEW is a case no event has been seen for yet. There is no REJECTED status: a rejection is
a decision like an approval (DECIDED; the outcome is kept beside the status), it is rated
and closed the same way, and the results API's "rateable" states stay one set. A transfer
(TRANSFERRED) is DECIDED too: the receiving department opens its own case.

Transitions (event: from → to). For the forward events, a status at or past the target is
"stale": the event is late and changes nothing, without an anomaly; a status before the
listed ones is an impossible jump: an anomaly.

    ApplicationCreated      NEW → DRAFT
    ApplicationSubmitted    NEW, DRAFT → SUBMITTED
    MaterialUploaded        SUPPLEMENT_REQUESTED → SUBMITTED (补正 supplied: the clock runs
                            again and the case waits to be queued); elsewhere informational
    CaseQueued              NEW, DRAFT, SUBMITTED, RESERVED → QUEUED
    CaseReserved            SUBMITTED, QUEUED → RESERVED
    ReservationRejected,
    ReservationTimedOut     RESERVED → QUEUED; any other open status: no change
    CaseAssigned            SUBMITTED, QUEUED, RESERVED → ASSIGNED
    WindowConnected         NEW … ASSIGNED → IN_WINDOW
    DecisionRecorded        ASSIGNED, IN_WINDOW → SUPPLEMENT_REQUESTED (outcome
                            SUPPLEMENT_REQUESTED) or DECIDED (APPROVED, REJECTED,
                            TRANSFERRED); anomaly from anywhere else or with another outcome
    ResultIssued            DECIDED → RESULT_ISSUED
    ResultDelivered         RESULT_ISSUED → DELIVERED (stale on EVALUATED: rated first)
    EvaluationSubmitted     DECIDED, RESULT_ISSUED, DELIVERED → EVALUATED; a second one
                            (on EVALUATED) is an anomaly: 一次一评
    CaseClosed              SUPPLEMENT_REQUESTED … EVALUATED → CLOSED; on CLOSED: no change
    ApplicationCancelled    NEW … SUPPLEMENT_REQUESTED → CANCELLED; on CANCELLED: no change;
                            after a decision: anomaly
    RectificationOpened,
    RectificationClosed     follow-ups of a bad rating: never change the status; fine once
                            the case is EVALUATED or CLOSED, an anomaly before
    informational           never change the status, never an anomaly, even after the end:
                            ReservationAccepted, QueuePositionChanged, QueueSlaBreached,
                            OfficialStateChanged, WindowOpened, WindowPartyJoined,
                            WindowMediaStats, WindowPartyLeft, WindowPartyRejoined,
                            WindowClosed, WindowRecordingStored, CaseDeadlineWarning, CaseOverdue
    after CLOSED/CANCELLED  anything else is an anomaly; unknown event types and statuses too

Why "stale" instead of an anomaly: the projection reads four topics. Application, window and
result topics are keyed by case id, but routing's is keyed by province, so one case's
routing events sit on another partition and may be read before or after its application
and window events (a partition can lag by a batch or a rebalance). Each topic on its own
is in order. So routing may show a case QUEUED before intake's ApplicationSubmitted is read
(CaseQueued from NEW/DRAFT; the late ApplicationSubmitted is stale), and the window may
report WindowConnected before routing's CaseAssigned (IN_WINDOW straight from QUEUED or
RESERVED; the late CaseAssigned is stale; a late ReservationTimedOut no longer requeues).
Events of the result topic are causally ordered by the results service itself (a decision
needs an ASSIGNED or IN_WINDOW case), so there the stale rule only absorbs harmless
orderings such as a rating recorded before the mail arrived (ResultDelivered on EVALUATED).

SUPPLEMENT_REQUESTED sits after IN_WINDOW on purpose: it is left only by MaterialUploaded
(or a cancel or close), so the projection, which ends the 补正 pause on that upload, always
sees it; a routing or window event from the next round read a little early is stale until
the upload arrives, and the round then continues from SUBMITTED.
"""

from __future__ import annotations

from dataclasses import dataclass

from tongban.types.v1 import types_pb2

INITIAL = "NEW"
ORDER = (
    "NEW",
    "DRAFT",
    "SUBMITTED",
    "QUEUED",
    "RESERVED",
    "ASSIGNED",
    "IN_WINDOW",
    "SUPPLEMENT_REQUESTED",
    "DECIDED",
    "RESULT_ISSUED",
    "DELIVERED",
    "EVALUATED",
    "CLOSED",
)
RANK = {status: i for i, status in enumerate(ORDER)}
CANCELLED = "CANCELLED"
TERMINAL = frozenset({"CLOSED", CANCELLED})
STATUSES = (*ORDER, CANCELLED)
# Statuses from which a case can still be cancelled or still runs its statutory clock.
OPEN_BEFORE_DECISION = frozenset(ORDER[: RANK["DECIDED"]])

INFORMATIONAL = frozenset(
    {
        "ReservationAccepted",
        "QueuePositionChanged",
        "QueueSlaBreached",
        "OfficialStateChanged",
        "WindowOpened",
        "WindowPartyJoined",
        "WindowMediaStats",
        "WindowPartyLeft",
        "WindowPartyRejoined",
        "WindowClosed",
        "WindowRecordingStored",
        "CaseDeadlineWarning",
        "CaseOverdue",
    }
)
FOLLOW_UPS = frozenset({"RectificationOpened", "RectificationClosed"})
FOLLOW_UP_FROM = frozenset({"EVALUATED", "CLOSED"})
DECISION_OUTCOMES = {
    "APPROVED": "DECIDED",
    "REJECTED": "DECIDED",
    "TRANSFERRED": "DECIDED",
    "SUPPLEMENT_REQUESTED": "SUPPLEMENT_REQUESTED",
}
DECIDABLE = frozenset({"ASSIGNED", "IN_WINDOW"})
REQUEUE = frozenset({"ReservationRejected", "ReservationTimedOut"})

# event → (target status, the statuses it moves from). From a status at or past the target
# it is stale; from an earlier one it is an impossible jump.
FORWARD: dict[str, tuple[str, frozenset[str]]] = {
    "ApplicationCreated": ("DRAFT", frozenset({"NEW"})),
    "ApplicationSubmitted": ("SUBMITTED", frozenset({"NEW", "DRAFT"})),
    "CaseQueued": ("QUEUED", frozenset({"NEW", "DRAFT", "SUBMITTED", "RESERVED"})),
    "CaseReserved": ("RESERVED", frozenset({"SUBMITTED", "QUEUED"})),
    "CaseAssigned": ("ASSIGNED", frozenset({"SUBMITTED", "QUEUED", "RESERVED"})),
    "WindowConnected": ("IN_WINDOW", frozenset(ORDER[: RANK["IN_WINDOW"]])),
    "ResultIssued": ("RESULT_ISSUED", frozenset({"DECIDED"})),
    "ResultDelivered": ("DELIVERED", frozenset({"RESULT_ISSUED"})),
    "EvaluationSubmitted": ("EVALUATED", frozenset({"DECIDED", "RESULT_ISSUED", "DELIVERED"})),
    "CaseClosed": ("CLOSED", frozenset(ORDER[RANK["SUPPLEMENT_REQUESTED"] : RANK["CLOSED"]])),
}
# Forward events that may happen only once: a repeat is an anomaly, not a stale event.
ONCE = frozenset({"EvaluationSubmitted"})

EVENT_TYPES = frozenset(
    {
        *INFORMATIONAL,
        *FOLLOW_UPS,
        *FORWARD,
        *REQUEUE,
        "MaterialUploaded",
        "DecisionRecorded",
        "ApplicationCancelled",
    }
)


@dataclass(frozen=True)
class Transition:
    new_status: str
    anomaly: str | None = None


def outcome_word(outcome: int) -> str:
    """A DecisionOutcome value as the word `apply` takes, e.g. "APPROVED"."""
    return str(types_pb2.DecisionOutcome.Name(outcome)).removeprefix("DECISION_OUTCOME_")


def apply(status: str, event_type: str, outcome: str | None = None) -> Transition:
    """The status after `event_type` (short proto name); `outcome` for DecisionRecorded
    (the DecisionOutcome name without its prefix, e.g. "APPROVED")."""
    if status not in RANK and status != CANCELLED:
        return Transition(status, f"{event_type} on a case in unknown status {status}")
    if event_type in INFORMATIONAL:
        return Transition(status)
    if event_type == "MaterialUploaded":
        # 补正 supplied: back to waiting for the queue; otherwise an upload changes nothing
        return Transition("SUBMITTED" if status == "SUPPLEMENT_REQUESTED" else status)
    if event_type in FOLLOW_UPS:
        if status in FOLLOW_UP_FROM:
            return Transition(status)
        return Transition(status, f"{event_type} while {status}: the case has not been rated")
    if event_type not in EVENT_TYPES:
        return Transition(status, f"unknown event type {event_type}")
    if status in TERMINAL:
        return _after_the_end(status, event_type)
    if event_type == "ApplicationCancelled":
        if status in OPEN_BEFORE_DECISION:
            return Transition(CANCELLED)
        return Transition(status, f"ApplicationCancelled while {status}: the case was decided")
    if event_type in REQUEUE:
        # back to the queue; late (the case moved on, or was requeued already): no change
        return Transition("QUEUED" if status == "RESERVED" else status)
    if event_type == "DecisionRecorded":
        return _decision(status, outcome)
    target, sources = FORWARD[event_type]
    if status in sources:
        return Transition(target)
    if status == target and event_type in ONCE:
        return Transition(status, f"a second {event_type} while {status}")
    if RANK[status] >= RANK[target]:
        return Transition(status)  # stale: the case already moved on
    expected = ", ".join(sorted(sources, key=RANK.__getitem__))
    return Transition(status, f"{event_type} while {status}: expected one of {expected}")


def _after_the_end(status: str, event_type: str) -> Transition:
    if (status, event_type) in {("CLOSED", "CaseClosed"), (CANCELLED, "ApplicationCancelled")}:
        return Transition(status)  # the same end announced twice: harmless
    return Transition(status, f"{event_type} after the case was {status}")


def _decision(status: str, outcome: str | None) -> Transition:
    if status not in DECIDABLE:
        if status == "SUPPLEMENT_REQUESTED":
            why = "the applicant's supplements have not arrived"
        elif RANK[status] > RANK["SUPPLEMENT_REQUESTED"]:
            why = "a second decision"
        else:
            why = "the case is not assigned"
        return Transition(status, f"DecisionRecorded while {status}: {why}")
    target = DECISION_OUTCOMES.get(outcome or "")
    if target is None:
        return Transition(status, f"DecisionRecorded with unknown outcome {outcome}")
    return Transition(target)
