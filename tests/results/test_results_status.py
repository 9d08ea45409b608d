import itertools

import pytest

from services.results import status
from services.results.status import apply

HAPPY = ["ApplicationCreated", "MaterialUploaded", "ApplicationSubmitted", "CaseQueued",
         "CaseReserved", "ReservationAccepted", "CaseAssigned", "WindowOpened",
         "WindowPartyJoined", "WindowPartyJoined", "WindowConnected", "WindowMediaStats",
         ("DecisionRecorded", "APPROVED"), "WindowClosed", "WindowRecordingStored",
         "ResultIssued", "ResultDelivered", "EvaluationSubmitted", "CaseClosed"]


def run(events: list[object], start: str = status.INITIAL) -> tuple[str, list[str]]:
    current, anomalies = start, []
    for item in events:
        event, outcome = item if isinstance(item, tuple) else (item, None)
        step = apply(current, event, outcome)  # type: ignore[arg-type]
        current = step.new_status
        if step.anomaly:
            anomalies.append(step.anomaly)
    return current, anomalies


def test_happy_path_has_no_anomalies() -> None:
    assert run(HAPPY) == ("CLOSED", [])


def test_reservation_timeout_goes_back_to_the_queue() -> None:
    final, anomalies = run(["ApplicationCreated", "ApplicationSubmitted", "CaseQueued",
                            "CaseReserved", "ReservationTimedOut", "CaseQueued", "CaseReserved",
                            "ReservationRejected", "CaseReserved", "CaseAssigned"])
    assert (final, anomalies) == ("ASSIGNED", [])


def test_supplement_path() -> None:
    final, anomalies = run(["ApplicationCreated", "ApplicationSubmitted", "CaseQueued",
                            "CaseReserved", "CaseAssigned", "WindowConnected",
                            ("DecisionRecorded", "SUPPLEMENT_REQUESTED"), "MaterialUploaded",
                            "ApplicationSubmitted", "CaseQueued", "CaseReserved", "CaseAssigned",
                            ("DecisionRecorded", "APPROVED"), "ResultIssued"])
    assert (final, anomalies) == ("RESULT_ISSUED", [])


def test_bad_rating_and_rectification_are_not_anomalies() -> None:
    final, anomalies = run([*HAPPY[:-1], "RectificationOpened", "RectificationClosed", "CaseClosed"])
    assert (final, anomalies) == ("CLOSED", [])


def test_routing_and_window_events_interleaving_is_tolerated() -> None:
    # routing's topic is keyed by province: CaseQueued may be seen before ApplicationSubmitted,
    # and WindowOpened before CaseAssigned
    final, anomalies = run(["ApplicationCreated", "CaseQueued", "ApplicationSubmitted",
                            "CaseReserved", "WindowOpened", "CaseAssigned", "ReservationAccepted",
                            "WindowConnected"])
    assert (final, anomalies) == ("IN_WINDOW", [])


def test_cancel_paths() -> None:
    assert run(["ApplicationCreated", "ApplicationCancelled", "ApplicationCancelled"]) == (
        "CANCELLED", [])
    final, anomalies = run(["ApplicationCreated", "ApplicationCancelled", "CaseQueued"])
    assert final == "CANCELLED" and anomalies == ["CaseQueued after the case was CANCELLED"]


@pytest.mark.parametrize(("events", "expected"), [
    (["ApplicationCreated", ("DecisionRecorded", "APPROVED")], "the case is not assigned"),
    (["ApplicationCreated", "ResultIssued"], "ResultIssued while DRAFT"),
    ([*HAPPY[:13], ("DecisionRecorded", "REJECTED")], "a second decision"),
    (["ApplicationCreated", "ApplicationSubmitted", "CaseQueued", "CaseAssigned",
      ("DecisionRecorded", "MAYBE")], "unknown outcome"),
    (["ApplicationCreated", "NoSuchEvent"], "unknown event type"),
])
def test_impossible_transitions_are_anomalies(events: list[object], expected: str) -> None:
    before, _ = run(events[:-1])
    final, anomalies = run(events)
    assert final == before  # the status is kept
    assert anomalies and expected in anomalies[-1]


def test_never_raises_for_any_status_and_event() -> None:
    events = [*status.INFORMATIONAL, *status.FORWARD, "ApplicationCancelled", "DecisionRecorded",
              "ReservationRejected", "ReservationTimedOut", "Bogus"]
    for current, event, outcome in itertools.product(
            status.STATUSES, events, [None, "APPROVED", "SUPPLEMENT_REQUESTED", "X"]):
        step = apply(current, event, outcome)
        assert step.new_status in status.STATUSES
