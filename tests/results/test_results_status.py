import itertools
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from services.results import status
from services.results.status import apply

Step = str | tuple[str, str]
APPROVED = ("DecisionRecorded", "APPROVED")

HAPPY: list[Step] = [
    "ApplicationCreated",
    "MaterialUploaded",
    "MaterialUploaded",
    "ApplicationSubmitted",
    "CaseQueued",
    "QueuePositionChanged",
    "CaseReserved",
    "ReservationAccepted",
    "CaseAssigned",
    "WindowOpened",
    "WindowPartyJoined",
    "WindowPartyJoined",
    "WindowConnected",
    "WindowMediaStats",
    APPROVED,
    "WindowClosed",
    "WindowRecordingStored",
    "ResultIssued",
    "ResultDelivered",
    "EvaluationSubmitted",
    "CaseClosed",
]


def run(events: Sequence[Step], start: str = status.INITIAL) -> tuple[str, list[str]]:
    current, anomalies = start, []
    for item in events:
        event, outcome = item if isinstance(item, tuple) else (item, None)
        step = apply(current, event, outcome)
        current = step.new_status
        if step.anomaly:
            anomalies.append(step.anomaly)
    return current, anomalies


def statuses(events: Sequence[Step]) -> list[str]:
    seen, current = [], status.INITIAL
    for item in events:
        event, outcome = item if isinstance(item, tuple) else (item, None)
        current = apply(current, event, outcome).new_status
        seen.append(current)
    return seen


def test_happy_path_has_no_anomalies_and_walks_every_status() -> None:
    assert run(HAPPY) == ("CLOSED", [])
    assert [s for s, _ in itertools.groupby(statuses(HAPPY))] == [
        "DRAFT",
        "SUBMITTED",
        "QUEUED",
        "RESERVED",
        "ASSIGNED",
        "IN_WINDOW",
        "DECIDED",
        "RESULT_ISSUED",
        "DELIVERED",
        "EVALUATED",
        "CLOSED",
    ]


def test_reservation_timed_out_or_rejected_goes_back_to_the_queue() -> None:
    events: list[Step] = [
        "ApplicationCreated",
        "ApplicationSubmitted",
        "CaseQueued",
        "CaseReserved",
        "ReservationTimedOut",
        "CaseQueued",
        "QueueSlaBreached",
        "CaseReserved",
        "ReservationRejected",
        "CaseReserved",
        "ReservationAccepted",
        "CaseAssigned",
    ]
    assert run(events) == ("ASSIGNED", [])
    assert statuses(events)[4] == "QUEUED" and statuses(events)[8] == "QUEUED"


def test_supplement_then_material_then_queued_again() -> None:
    events: list[Step] = [
        "ApplicationCreated",
        "ApplicationSubmitted",
        "CaseQueued",
        "CaseReserved",
        "CaseAssigned",
        "WindowConnected",
        ("DecisionRecorded", "SUPPLEMENT_REQUESTED"),
        "WindowClosed",
        "CaseDeadlineWarning",
        "MaterialUploaded",
        "MaterialUploaded",
        "CaseQueued",
        "CaseReserved",
        "CaseAssigned",
        "WindowOpened",
        "WindowConnected",
        APPROVED,
        "ResultIssued",
    ]
    assert run(events) == ("RESULT_ISSUED", [])
    seen = statuses(events)
    assert seen[6] == "SUPPLEMENT_REQUESTED" and seen[8] == "SUPPLEMENT_REQUESTED"
    assert seen[9] == "SUBMITTED" and seen[11] == "QUEUED"


def test_next_round_read_before_the_supplied_material_converges() -> None:
    # routing requeued on the upload, but the application topic was read a little later
    events: list[Step] = [
        *HAPPY[:14],
        ("DecisionRecorded", "SUPPLEMENT_REQUESTED"),
        "CaseQueued",
        "CaseReserved",
        "MaterialUploaded",
        "CaseAssigned",
        "WindowConnected",
        APPROVED,
    ]
    seen = statuses(events)
    assert seen[15:18] == ["SUPPLEMENT_REQUESTED", "SUPPLEMENT_REQUESTED", "SUBMITTED"]
    assert run(events) == ("DECIDED", [])


def test_window_party_left_and_rejoined_keep_the_window() -> None:
    events: list[Step] = [
        *HAPPY[:13],
        "WindowPartyLeft",
        "WindowMediaStats",
        "WindowPartyRejoined",
        "WindowPartyLeft",
        "WindowPartyRejoined",
    ]
    assert run(events) == ("IN_WINDOW", [])


def test_bad_rating_and_rectification_are_not_anomalies() -> None:
    events: list[Step] = [
        *HAPPY[:-1],
        "RectificationOpened",
        "CaseClosed",
        "CaseOverdue",
        "RectificationClosed",
    ]
    assert run(events) == ("CLOSED", [])


def test_rated_before_the_mail_arrived() -> None:
    events: list[Step] = [*HAPPY[:18], "EvaluationSubmitted", "ResultDelivered", "CaseClosed"]
    assert run(events) == ("CLOSED", [])


@pytest.mark.parametrize("outcome", ["REJECTED", "TRANSFERRED"])
def test_rejected_or_transferred_cases_are_decided_rated_and_closed(outcome: str) -> None:
    events: list[Step] = [
        *HAPPY[:14],
        ("DecisionRecorded", outcome),
        "WindowClosed",
        "EvaluationSubmitted",
        "RectificationOpened",
        "CaseClosed",
    ]
    assert run(events) == ("CLOSED", [])


def test_cancel_paths() -> None:
    assert run(["ApplicationCreated", "ApplicationCancelled", "ApplicationCancelled"]) == ("CANCELLED", [])
    assert run([*HAPPY[:9], "ApplicationCancelled", "QueuePositionChanged"]) == ("CANCELLED", [])
    assert run([*HAPPY[:14], ("DecisionRecorded", "SUPPLEMENT_REQUESTED"), "ApplicationCancelled"]) == (
        "CANCELLED",
        [],
    )
    final, anomalies = run(["ApplicationCreated", "ApplicationCancelled", "CaseQueued"])
    assert final == "CANCELLED" and anomalies == ["CaseQueued after the case was CANCELLED"]


def merges(*streams: Sequence[Step]) -> Iterator[list[Step]]:
    """Every interleaving that keeps each stream (one Kafka partition) in its own order."""
    if all(not s for s in streams):
        yield []
        return
    for i, stream in enumerate(streams):
        if stream:
            rest = [*streams[:i], stream[1:], *streams[i + 1 :]]
            for tail in merges(*rest):
                yield [stream[0], *tail]


RESULT_TAIL: list[Step] = [APPROVED, "ResultIssued", "ResultDelivered", "EvaluationSubmitted", "CaseClosed"]


def test_routing_and_window_partitions_read_in_any_relative_order() -> None:
    application: list[Step] = ["ApplicationCreated", "MaterialUploaded", "ApplicationSubmitted"]
    routing: list[Step] = ["CaseQueued", "CaseReserved", "ReservationAccepted", "CaseAssigned"]
    window: list[Step] = ["WindowOpened", "WindowPartyJoined", "WindowConnected"]
    count = 0
    for merged in merges(application, routing, window):
        assert run(merged) == ("IN_WINDOW", []), merged
        assert run([*merged, *RESULT_TAIL]) == ("CLOSED", []), merged
        count += 1
    assert count == 4200  # 10! / (3! 4! 3!)


def test_timeouts_interleaved_with_the_window_are_not_anomalies() -> None:
    application: list[Step] = ["ApplicationCreated", "ApplicationSubmitted"]
    routing: list[Step] = [
        "CaseQueued",
        "CaseReserved",
        "ReservationTimedOut",
        "CaseQueued",
        "CaseReserved",
        "CaseAssigned",
    ]
    window: list[Step] = ["WindowOpened", "WindowConnected"]
    for merged in merges(application, routing, window):
        assert run([*merged, *RESULT_TAIL]) == ("CLOSED", []), merged


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (["ApplicationCreated", APPROVED], "DecisionRecorded while DRAFT: the case is not assigned"),
        (["ApplicationCreated", "ResultIssued"], "ResultIssued while DRAFT"),
        (["ResultIssued"], "ResultIssued while NEW"),
        ([*HAPPY[:15], ("DecisionRecorded", "REJECTED")], "a second decision"),
        (
            [*HAPPY[:14], ("DecisionRecorded", "SUPPLEMENT_REQUESTED"), APPROVED],
            "supplements have not arrived",
        ),
        ([*HAPPY[:9], ("DecisionRecorded", "MAYBE")], "unknown outcome"),
        ([*HAPPY[:9], "DecisionRecorded"], "unknown outcome"),
        (["ApplicationCreated", "NoSuchEvent"], "unknown event type"),
        ([*HAPPY[:-1], "EvaluationSubmitted"], "a second EvaluationSubmitted"),
        ([*HAPPY[:15], "ResultDelivered"], "ResultDelivered while DECIDED"),
        ([*HAPPY[:15], "ApplicationCancelled"], "the case was decided"),
        ([*HAPPY[:12], "CaseClosed"], "CaseClosed while ASSIGNED"),
        ([*HAPPY[:15], "RectificationOpened"], "has not been rated"),
        ([*HAPPY, ("DecisionRecorded", "APPROVED")], "DecisionRecorded after the case was CLOSED"),
        ([*HAPPY, "EvaluationSubmitted"], "after the case was CLOSED"),
        (["ApplicationCreated", "ApplicationCancelled", "WindowConnected"], "after the case was"),
    ],
)
def test_impossible_transitions_are_anomalies(events: list[Step], expected: str) -> None:
    before, _ = run(events[:-1])
    final, anomalies = run(events)
    assert final == before  # the status is kept
    assert anomalies and expected in anomalies[-1]


def test_informational_events_never_move_or_complain() -> None:
    for current, event in itertools.product(status.STATUSES, status.INFORMATIONAL):
        assert apply(current, event) == status.Transition(current)


def test_never_raises_for_any_status_and_event() -> None:
    events = [*sorted(status.EVENT_TYPES), "Bogus", ""]
    outcomes = [None, "", "APPROVED", "REJECTED", "SUPPLEMENT_REQUESTED", "TRANSFERRED", "X"]
    for current, event, outcome in itertools.product([*status.STATUSES, "NOT_A_STATUS"], events, outcomes):
        step = apply(current, event, outcome)
        if current in status.STATUSES:
            assert step.new_status in status.STATUSES
        if step.anomaly:
            assert step.new_status == current  # an anomaly never moves the case


def test_every_proto_event_is_classified() -> None:
    proto = Path(__file__).parents[2] / "protos" / "tongban" / "events" / "v1" / "events.proto"
    messages = set(re.findall(r"^message (\w+)", proto.read_text(encoding="utf-8"), re.M))
    assert messages == status.EVENT_TYPES
