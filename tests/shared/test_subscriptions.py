"""A service's subscriptions: topics from the catalog, each event to its handler."""

from __future__ import annotations

import pytest

from services.shared import cloudevents, subscriptions
from services.shared.cloudevents import Envelope
from services.shared.subscriptions import Subscription
from services.shared.topics import load
from tongban.events.v1 import events_pb2


def envelope(event: object) -> Envelope:
    return Envelope("id", event.DESCRIPTOR.full_name, "test", cloudevents.now(), "k", event)  # type: ignore[attr-defined,arg-type]


async def test_each_event_goes_to_its_own_handler() -> None:
    seen: list[str] = []

    async def decided(e: Envelope) -> None:
        seen.append("decided:" + e.case_id)

    async def assigned(e: Envelope) -> None:
        seen.append("assigned:" + e.case_id)

    handle = subscriptions.dispatch(
        [Subscription(events_pb2.DecisionRecorded, decided), Subscription(events_pb2.CaseAssigned, assigned)]
    )
    await handle(envelope(events_pb2.CaseAssigned(case_id="a")))
    await handle(envelope(events_pb2.DecisionRecorded(case_id="b")))
    assert seen == ["assigned:a", "decided:b"]


def test_topics_come_from_the_catalog_and_a_type_is_subscribed_once() -> None:
    catalog = load()
    found = subscriptions.topics_of(catalog, [events_pb2.DecisionRecorded, events_pb2.CaseClosed])
    assert found == [catalog.topic_for_event("DecisionRecorded").name]
    assert len(subscriptions.topics_of(catalog, [events_pb2.CaseQueued, events_pb2.WindowOpened])) == 2

    async def handler(e: Envelope) -> None:
        pass

    with pytest.raises(ValueError):
        subscriptions.dispatch([Subscription(events_pb2.CaseQueued, handler)] * 2)
