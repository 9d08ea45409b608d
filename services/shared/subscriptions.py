"""A service's event subscriptions, listed in one place (its `events.py`): which event
types it handles and with what. The topics follow from the catalog (an event type lives on
exactly one topic in deploy/topics.yaml), so no service names a topic as a string.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf.message import Message

from services.shared.cloudevents import Envelope
from services.shared.consumer import EventConsumer, Handler
from services.shared.topics import Catalog


@dataclass(frozen=True)
class Subscription:
    """One event type a service reacts to, and the handler that reacts."""

    event: type[Message]
    handler: Handler

    @property
    def type_name(self) -> str:
        """The short proto name, as Envelope.short_type gives it (e.g. "DecisionRecorded")."""
        return str(self.event.DESCRIPTOR.name)


def topics_of(catalog: Catalog, events: Sequence[type[Message]]) -> list[str]:
    """The broker's names of the topics that carry these event types."""
    return sorted({catalog.topic_for_event(e.DESCRIPTOR.full_name).name for e in events})


def dispatch(subscriptions: Sequence[Subscription]) -> Handler:
    """One handler for a consumer: each envelope to its type's subscription."""
    handlers = {s.type_name: s.handler for s in subscriptions}
    if len(handlers) != len(subscriptions):
        raise ValueError("an event type is subscribed twice")

    async def handle(envelope: Envelope) -> None:
        await handlers[envelope.short_type](envelope)

    return handle


def consumer(
    bootstrap: str, catalog: Catalog, subscriptions: Sequence[Subscription], group_id: str, name: str
) -> EventConsumer:
    """A consumer of the subscriptions' topics that hands each subscribed event to its
    handler and skips the rest (records it cannot decode go to the dead-letter topic)."""
    return EventConsumer(
        bootstrap,
        topics_of(catalog, [s.event for s in subscriptions]),
        group_id,
        dispatch(subscriptions),
        name,
        types={s.type_name for s in subscriptions},
    )
