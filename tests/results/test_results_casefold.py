"""The case fold, pure: the same events give the same case row whatever order and batches
they are read in (issue 13, bug 2)."""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from google.protobuf.message import Message

from services.results import casefold, status
from services.results.casefold import Fact
from services.shared import cloudevents
from services.shared.topics import load
from tongban.events.v1 import events_pb2 as E
from tongban.types.v1 import types_pb2

CASE = "c-fold"
START = datetime(2025, 3, 3, 9, tzinfo=UTC)
SUPPLEMENT = types_pb2.DECISION_OUTCOME_SUPPLEMENT_REQUESTED
APPROVED = types_pb2.DECISION_OUTCOME_APPROVED


def topic_of(kind: str) -> str:
    return load().topic_for_event(kind).name


def facts(events: Sequence[Message], start: datetime = START) -> list[Fact]:
    """The events as the timeline stores them: a second apart, each on its catalog topic,
    offsets counted per topic (routing's partition is the province's, the others the case's)."""
    offsets: dict[str, int] = {}
    found: list[Fact] = []
    for i, event in enumerate(events):
        topic = topic_of(event.DESCRIPTOR.name)
        offsets[topic] = offsets.get(topic, -1) + 1
        envelope = cloudevents.Envelope(
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"{i}")), event.DESCRIPTOR.full_name, "t", start, CASE, event
        )
        found.append(
            Fact(
                envelope.id,
                envelope.short_type,
                start + timedelta(seconds=i),
                topic,
                0,
                offsets[topic],
                json.loads(envelope.to_json()),
            )
        )
    return found


def round_one() -> list[Message]:
    return [
        E.ApplicationCreated(
            case_id=CASE,
            hall_id="hall-340104-01",
            hall_province="340000",
            target_province="310000",
            matter_code="HF-TRANSFER",
            applicant=types_pb2.MaskedApplicant(name="张*", id_number="3401**", pseudonym="p"),
        ),
        E.MaterialUploaded(case_id=CASE, material_code="id_card"),
        E.MaterialUploaded(case_id=CASE, material_code="new_account"),
        E.ApplicationSubmitted(case_id=CASE, target_province="310000", time_limit_working_days=5),
        E.CaseQueued(case_id=CASE, province="310000"),
        E.QueuePositionChanged(case_id=CASE, province="310000"),
        E.CaseReserved(case_id=CASE, province="310000", official_id="sh-1"),
        E.ReservationAccepted(case_id=CASE, official_id="sh-1"),
        E.CaseAssigned(case_id=CASE, province="310000", official_id="sh-1"),
        E.WindowOpened(case_id=CASE),
        E.WindowConnected(case_id=CASE),
        E.WindowMediaStats(case_id=CASE),
        E.DecisionRecorded(case_id=CASE, outcome=SUPPLEMENT, supplements=["new_account"]),
        E.WindowClosed(case_id=CASE),
    ]


def round_two() -> list[Message]:
    return [
        E.MaterialUploaded(case_id=CASE, material_code="new_account"),
        E.ApplicationSubmitted(case_id=CASE, target_province="310000", submission_round=2),
        E.CaseQueued(case_id=CASE, province="310000"),
        E.CaseReserved(case_id=CASE, province="310000", official_id="sh-2"),
        E.CaseAssigned(case_id=CASE, province="310000", official_id="sh-2"),
        E.WindowConnected(case_id=CASE),
        E.DecisionRecorded(case_id=CASE, outcome=APPROVED, certificate_number="TB-310000-1"),
        E.ResultIssued(case_id=CASE, method=types_pb2.DELIVERY_METHOD_E_CERTIFICATE),
        E.ResultDelivered(case_id=CASE, reference="TB-310000-1"),
        E.EvaluationSubmitted(case_id=CASE, level=5),
        E.CaseClosed(case_id=CASE),
    ]


def batches(stored: Sequence[Fact], rng: random.Random) -> list[list[Fact]]:
    """An arrival order a reader of the four topics could see: each topic in its own order,
    the topics interleaved at random, cut into batches at random."""
    queues = {t: [f for f in stored if f.topic == t] for t in {f.topic for f in stored}}
    arrival: list[Fact] = []
    while any(queues.values()):
        topic = rng.choice([t for t, q in queues.items() if q])
        arrival += [queues[topic].pop(0) for _ in range(rng.randint(1, len(queues[topic])))]
    cuts = sorted(rng.sample(range(1, len(arrival)), k=min(4, len(arrival) - 1)))
    return [arrival[a:b] for a, b in itertools.pairwise([0, *cuts, len(arrival)])]


def in_arrival_order(arrival: Sequence[Fact]) -> str:
    """The status the projection kept before: the machine fed in the order read."""
    current = status.INITIAL
    for fact in arrival:
        current = status.apply(current, fact.type, casefold.outcome_of(fact)).new_status
    return current


def as_the_projection_reads(parts: Sequence[Sequence[Fact]]) -> casefold.CaseState:
    """What the writer does: after each batch, the case refolded from everything stored."""
    stored: list[Fact] = []
    state = casefold.fold([])
    for part in parts:
        stored += part
        state = casefold.fold(stored)
    return state


def test_a_dead_ended_supplement_case_rebuilds_the_same_in_every_interleaving() -> None:
    # the case of the bug: its 补正 names a material never supplied, so nothing follows
    stored = facts(round_one())
    wanted = casefold.fold(stored)
    assert wanted.status == "SUPPLEMENT_REQUESTED" and wanted.anomalies == ()
    # routing, window and result read before the application topic: fed in arrival order,
    # the status machine took the round-1 uploads read after the decision for the supplies
    # and rebuilt SUBMITTED, as `tongban replay` reported
    read_first = [
        topic_of(kind) for kind in ("CaseQueued", "WindowOpened", "DecisionRecorded", "ApplicationCreated")
    ]
    rebuild = sorted(stored, key=lambda f: (read_first.index(f.topic), f.offset))
    assert in_arrival_order(rebuild) == "SUBMITTED"
    assert as_the_projection_reads([rebuild[:6], rebuild[6:]]) == wanted
    rng = random.Random(13)
    for _ in range(300):
        assert as_the_projection_reads(batches(stored, rng)) == wanted


def test_a_whole_supplement_journey_ends_the_same_in_every_interleaving() -> None:
    stored = facts(round_one() + round_two())
    wanted = casefold.fold(stored)
    assert wanted.status == "CLOSED" and wanted.anomalies == ()
    assert wanted.columns["official_id"] == "sh-2"  # the last assignment's
    assert wanted.columns["outcome"] == APPROVED
    assert wanted.columns["certificate_number"] == "TB-310000-1"
    assert wanted.columns["evaluation_level"] == 5 and wanted.columns["applicant_name"] == "张*"
    assert wanted.columns["submitted_at"] == stored[15].time  # the resubmission's
    assert wanted.supplied_on == stored[14].time.date()  # round two's upload
    rng = random.Random(15)
    for _ in range(300):
        assert as_the_projection_reads(batches(stored, rng)) == wanted


def test_the_supply_of_the_last_supplement_ends_the_pause() -> None:
    one = round_one()
    stored = facts(one)
    assert casefold.fold(stored).supplied_on is None  # asked, not yet supplied
    supplied = facts([*one, round_two()[0]])
    assert casefold.fold(supplied).status == "SUBMITTED"
    assert casefold.fold(supplied).supplied_on == supplied[-1].time.date()


def test_an_anomaly_of_an_early_read_goes_when_the_late_event_explains_it() -> None:
    stored = facts(round_one())
    decision = next(f for f in stored if f.type == "DecisionRecorded")
    # read alone, before the assignment reached the projection, the decision is impossible
    early = casefold.fold([f for f in stored if f.topic == topic_of("DecisionRecorded")])
    assert early.anomalies and early.anomalies[0][0] == decision.event_id
    assert casefold.fold(stored).anomalies == ()


def test_informational_events_do_not_change_the_row_and_empty_values_erase_nothing() -> None:
    stored = facts(round_one()[:5])
    noise = facts([E.QueuePositionChanged(case_id=CASE), E.OfficialStateChanged()], START)
    assert casefold.fold([*stored, *noise]) == casefold.fold(stored)
    # a later ApplicationSubmitted without the hall keeps the one ApplicationCreated gave
    assert casefold.fold(stored).columns["hall_id"] == "hall-340104-01"


def test_ties_in_time_keep_the_order_of_their_partition() -> None:
    # routing stamps the events of one command alike: offsets, not types, decide
    stored = facts(round_one()[:4])
    same = START + timedelta(seconds=30)
    routing = [
        Fact(f"r{i}", kind, same, topic_of(kind), 3, i, {"official_id": "sh-1"})
        for i, kind in enumerate(["CaseQueued", "CaseReserved", "ReservationTimedOut"])
    ]
    assert casefold.fold([*stored, *routing]).status == "QUEUED"
    assert casefold.fold([*stored, *reversed(routing)]).status == "QUEUED"


def test_a_case_in_a_closed_window_keeps_when_it_closed() -> None:
    stored = facts([*round_one()[:11], E.WindowClosed(case_id=CASE)])
    state = casefold.fold(stored)
    assert state.status == "IN_WINDOW"
    assert state.columns["window_closed_at"] == stored[-1].time > state.columns["connected_at"]


def test_folding_on_from_a_state_gives_what_folding_everything_gives() -> None:
    stored = facts(round_one() + round_two())
    for cut in range(1, len(stored)):
        before, after = stored[:cut], stored[cut:]
        start = casefold.fold(before)
        assert start.continues_with(after)
        resumed = casefold.fold(after, start)
        whole = casefold.fold(stored)
        assert (resumed.status, resumed.columns, resumed.last) == (whole.status, whole.columns, whole.last)
        assert start.anomalies + resumed.anomalies == whole.anomalies
    # an event older than the last one folded cannot be folded on: the case is folded again
    late = stored[3]
    assert not casefold.fold(stored[4:8]).continues_with([late])
    assert not casefold.NOTHING.continues_with(stored)
