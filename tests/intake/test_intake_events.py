"""intake/events.py says what intake consumes and publishes; these keep it true."""

from __future__ import annotations

from pathlib import Path

from services.intake import events
from services.intake.api import IntakeApi
from services.shared.subscriptions import topics_of
from services.shared.topics import load
from tests.support import events_built_in

SERVICE = Path(events.__file__).parent


def test_intake_publishes_what_events_py_lists_and_alone_fills_its_topic() -> None:
    published = {e.DESCRIPTOR.name for e in events.PUBLISHES}
    assert events_built_in(SERVICE) == published
    topic = load().topic_for_event("ApplicationCreated")
    assert set(topic.events) == published  # nobody else publishes application events


def test_intake_subscribes_to_decisions_on_the_result_topic() -> None:
    api = IntakeApi(None, None, None, None, b"")  # type: ignore[arg-type]
    (decisions,) = events.subscribed(api)
    assert decisions.type_name == "DecisionRecorded" and decisions.handler == api.on_decision
    catalog = load()
    assert topics_of(catalog, [decisions.event]) == [catalog.topic_for_event("DecisionRecorded").name]
