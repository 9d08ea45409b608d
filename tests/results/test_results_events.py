"""results/events.py says what results consumes and publishes; these keep it true."""

from __future__ import annotations

from pathlib import Path

from services.results import events
from services.shared.topics import load
from tests.support import events_built_in

SERVICE = Path(events.__file__).parent


def test_results_publishes_what_events_py_lists_and_alone_fills_its_topic() -> None:
    published = {e.DESCRIPTOR.name for e in events.PUBLISHES}
    assert events_built_in(SERVICE) == published
    assert set(load().topic_for_event("DecisionRecorded").events) == published


def test_the_projection_reads_every_topic_that_carries_events() -> None:
    catalog = load()
    consumed = events.consumed_topics(catalog)
    for kind in ("ApplicationCreated", "CaseQueued", "WindowOpened", "CaseClosed"):
        assert catalog.topic_for_event(kind).name in consumed
    assert all(catalog.topic(name).events for name in consumed)
