"""A case's row as a pure function of its events: the same events give the same row, whatever
order the projection read them in.

The projection reads four topics. Each is in order on its own, but they interleave however
their partitions happen to be fetched: live, one event at a time as they happen; in a
rebuild (`tongban replay`), whole partitions at once. A status machine fed in arrival order
then depends on that interleaving. Here every case is folded from all its stored events
sorted by their own time (`ce_time`), ties broken by topic, partition and offset, so events
of one partition stay in their order and the result is the same for every reader.

`fold` runs the status machine (status.py) over that order and collects the columns the
events set (the last event to set a column wins), the anomalies met on the way, and the day
the materials of the last 补正 arrived (which ends the pause of the statutory clock). It can
also go on from a state (the case row, which keeps the order of the last event folded into
it) when every new event comes after that one: a left fold, so the result is the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.results import status as status_machine
from tongban.types.v1 import types_pb2

# Events that change neither the status nor a column of the case: the fold skips them, so
# a case's media stats and queue positions never make refolding it dearer. WindowClosed is
# informational for the status but sets window_closed_at (a case left IN_WINDOW after its
# window closed is shown to operators).
SKIPPED = frozenset(status_machine.INFORMATIONAL - {"WindowClosed"})

TIME_COLUMNS = {
    "ApplicationCreated": "created_at",
    "ApplicationSubmitted": "submitted_at",
    "CaseQueued": "queued_at",
    "CaseAssigned": "assigned_at",
    "WindowConnected": "connected_at",
    "WindowClosed": "window_closed_at",
    "DecisionRecorded": "decided_at",
    "CaseClosed": "closed_at",
}
# The case row's columns the projection owns, with the value of a column no event has set.
# (due_date belongs to the deadline watch, updated_at to the database.)
COLUMNS: dict[str, Any] = {
    "hall_id": "",
    "hall_province": "",
    "target_province": "",
    "matter_code": "",
    "department": "",
    "applicant_name": "",
    "applicant_id": "",
    "applicant_phone": "",
    "pseudonym": "",
    "official_id": "",
    "outcome": 0,
    "time_limit_days": 0,
    "certificate_number": "",
    "evaluation_level": 0,
    "delivery_method": 0,
    "delivery_reference": "",
    **{column: None for column in TIME_COLUMNS.values()},
}


OrderKey = tuple[datetime, str, int, int]  # an event's time, topic, partition, offset


@dataclass(frozen=True)
class Fact:
    """One stored event of a case: what it is, when, where it was read, and its data (the
    event as JSON with the proto field names, as the timeline keeps it)."""

    event_id: str
    type: str  # the short proto name, e.g. "CaseQueued"
    time: datetime
    topic: str
    partition: int
    offset: int
    data: Mapping[str, Any] = field(default_factory=dict)

    def order(self) -> OrderKey:
        return (self.time, self.topic, self.partition, self.offset)


@dataclass(frozen=True)
class CaseState:
    status: str
    columns: dict[str, Any]  # every column of COLUMNS
    anomalies: tuple[tuple[str, str], ...]  # (event id, description), in event order
    supplied_on: date | None  # the day the last 补正's materials arrived; None while awaited
    last: OrderKey | None = None  # the order of the last event folded in; None: none yet

    def continues_with(self, facts: Iterable[Fact]) -> bool:
        """Whether these events all come after the ones this state was folded from: then
        folding them on from here gives what folding everything again would."""
        return self.last is not None and all(f.order() > self.last for f in facts)


NOTHING = CaseState(status_machine.INITIAL, dict(COLUMNS), (), None)


def _enum(enum: Any, name: Any) -> int:
    """An enum field as MessageToJson writes it (its value's name) back to its number."""
    if isinstance(name, int):
        return name
    try:
        return int(enum.Value(name))
    except ValueError:
        return 0


def columns_set_by(kind: str, time: datetime, data: Mapping[str, Any]) -> dict[str, Any]:
    """The columns an event sets. proto3 cannot tell "empty" from "not sent", and JSON leaves
    both out: an empty value never erases a known one."""
    found: dict[str, Any] = {}
    column = TIME_COLUMNS.get(kind)
    if column:
        found[column] = time
    if kind == "ApplicationCreated":
        applicant = data.get("applicant") or {}
        found.update(
            hall_id=data.get("hall_id"),
            hall_province=data.get("hall_province"),
            target_province=data.get("target_province"),
            matter_code=data.get("matter_code"),
            department=data.get("department"),
            applicant_name=applicant.get("name"),
            applicant_id=applicant.get("id_number"),
            applicant_phone=applicant.get("phone"),
            pseudonym=applicant.get("pseudonym"),
        )
    elif kind == "ApplicationSubmitted":
        found.update(
            time_limit_days=data.get("time_limit_working_days"),
            target_province=data.get("target_province"),
            hall_province=data.get("hall_province"),
            matter_code=data.get("matter_code"),
            hall_id=data.get("hall_id"),
        )
    elif kind == "CaseAssigned":
        found["official_id"] = data.get("official_id")
    elif kind == "DecisionRecorded":
        found["outcome"] = _enum(types_pb2.DecisionOutcome, data.get("outcome", 0))
        found["certificate_number"] = data.get("certificate_number")
    elif kind == "ResultIssued":
        found["delivery_method"] = _enum(types_pb2.DeliveryMethod, data.get("method", 0))
        found["certificate_number"] = data.get("certificate_number")
    elif kind == "ResultDelivered":
        found["delivery_reference"] = data.get("reference")
    elif kind == "EvaluationSubmitted":
        found["evaluation_level"] = data.get("level")
    return {name: value for name, value in found.items() if value not in ("", 0, None)}


def outcome_of(fact: Fact) -> str | None:
    if fact.type != "DecisionRecorded":
        return None
    return status_machine.outcome_word(_enum(types_pb2.DecisionOutcome, fact.data.get("outcome", 0)))


def fold(facts: Iterable[Fact], start: CaseState = NOTHING) -> CaseState:
    """The case as its events make it, in their own order (see the module's docstring).
    From `start`, the state of the case's earlier events, when every one of `facts` comes
    after them (`start.continues_with(facts)`); the anomalies and supply day returned are
    then those of `facts` only."""
    current = start.status
    columns = dict(start.columns)
    anomalies: list[tuple[str, str]] = []
    supplied_on: date | None = None
    last = start.last
    for fact in sorted(facts, key=Fact.order):
        if fact.type in SKIPPED:
            continue
        last = fact.order()
        before = current
        transition = status_machine.apply(current, fact.type, outcome_of(fact))
        current = transition.new_status
        if transition.anomaly:
            anomalies.append((fact.event_id, transition.anomaly))
        if current == "SUPPLEMENT_REQUESTED" and before != current:
            supplied_on = None  # a new 补正: its materials are awaited
        elif before == "SUPPLEMENT_REQUESTED" and fact.type == "MaterialUploaded":
            supplied_on = fact.time.date()
        columns.update(columns_set_by(fact.type, fact.time, fact.data))
    return CaseState(current, columns, tuple(anomalies), supplied_on, last)
