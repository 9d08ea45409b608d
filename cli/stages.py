"""Per-stage times of journeys, from their events (pure: the simulator and the benchmark feed
it what they saw on Kafka).

A stage is the time its event happened (the event's own time, stamped by the service that
caused it): submitted → queued → reserved → assigned → window connected → decided →
delivered. A 补正 journey counts from its FIRST submission; the later stages are those of
its last round (a supplement decision ends a round and clears the round's stages), so its
submitted → queued span holds the whole 补正 detour. Within a round each stage is its first
occurrence (a reservation that timed out and was offered again keeps the first offer).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cli.textout import percentile

STAGES = ("submitted", "queued", "reserved", "assigned", "window connected", "decided", "delivered")
STAGE_OF = {
    "ApplicationSubmitted": "submitted",
    "CaseQueued": "queued",
    "CaseReserved": "reserved",
    "CaseAssigned": "assigned",
    "WindowConnected": "window connected",
    "DecisionRecorded": "decided",
    "ResultDelivered": "delivered",
}
ROUND_STAGES = ("queued", "reserved", "assigned", "window connected")


@dataclass(frozen=True)
class Seen:
    """One event as the stage reckoning needs it."""

    kind: str  # the proto's short name, e.g. "CaseQueued"
    time: float  # Unix seconds
    outcome: str = ""  # DecisionRecorded: APPROVED, REJECTED, SUPPLEMENT_REQUESTED, ...


@dataclass(frozen=True)
class Reckoning:
    marks: dict[str, float]
    supplement_rounds: int
    outcome: str  # the final decision's, "" if undecided


def reckon(events: Iterable[Seen]) -> Reckoning:
    marks: dict[str, float] = {}
    rounds = 0
    outcome = ""
    for seen in sorted(events, key=lambda s: s.time):
        stage = STAGE_OF.get(seen.kind)
        if stage is None:
            continue
        if seen.kind == "DecisionRecorded" and seen.outcome == "SUPPLEMENT_REQUESTED":
            rounds += 1
            for name in ROUND_STAGES:
                marks.pop(name, None)
            continue
        if seen.kind == "DecisionRecorded":
            outcome = outcome or seen.outcome
        marks.setdefault(stage, seen.time)
    return Reckoning(marks, rounds, outcome)


@dataclass(frozen=True)
class Span:
    label: str
    samples_ms: list[float]

    def row(self) -> list[object]:
        return [
            self.label,
            len(self.samples_ms),
            *(f"{percentile(self.samples_ms, p):,.0f}" if self.samples_ms else "-" for p in (50, 90, 99)),
        ]

    def figures(self) -> dict[str, float | int | str]:
        return {
            "stage": self.label,
            "journeys": len(self.samples_ms),
            **{f"p{p}_ms": round(percentile(self.samples_ms, p), 1) for p in (50, 90, 99) if self.samples_ms},
        }


def spans(reckonings: Sequence[Reckoning]) -> list[Span]:
    """Each stage to the next, then the wholes: submission to decision (every decided
    journey) and to delivery (approved ones)."""

    def between(before: str, after: str) -> list[float]:
        return [
            (r.marks[after] - r.marks[before]) * 1000
            for r in reckonings
            if before in r.marks and after in r.marks
        ]

    found = [Span(f"{a} → {b}", between(a, b)) for a, b in zip(STAGES, STAGES[1:], strict=False)]
    return found + [
        Span("submitted → decided", between("submitted", "decided")),
        Span("submitted → delivered", between("submitted", "delivered")),
    ]


SPAN_HEADER = ["stage", "journeys", "p50 ms", "p90 ms", "p99 ms"]
