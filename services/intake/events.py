"""What intake consumes and publishes, at a glance.

Consumes (group `tongban-intake`; other event types on the topic are skipped, records that
cannot be decoded go to the dead-letter topic):

| topic            | event            | handler                                                   |
|------------------|------------------|-----------------------------------------------------------|
| `tongban.result` | DecisionRecorded | `IntakeApi.on_decision`: a 补正 sends the application back |

Publishes through its outbox (store.py, in the transaction of the change), keyed by case id,
on `tongban.application`: ApplicationCreated, MaterialUploaded, ApplicationSubmitted,
ApplicationCancelled. Topics follow from the event types through deploy/topics.yaml.
"""

from __future__ import annotations

from services.intake.api import IntakeApi
from services.shared import subscriptions
from services.shared.consumer import EventConsumer
from services.shared.subscriptions import Subscription
from services.shared.topics import Catalog
from tongban.events.v1 import events_pb2

GROUP = "tongban-intake"
CONSUMER = "intake"  # the name on the dead letters it parks

PUBLISHES = (
    events_pb2.ApplicationCreated,
    events_pb2.MaterialUploaded,
    events_pb2.ApplicationSubmitted,
    events_pb2.ApplicationCancelled,
)


def subscribed(api: IntakeApi) -> list[Subscription]:
    return [Subscription(events_pb2.DecisionRecorded, api.on_decision)]


def consumer(bootstrap: str, catalog: Catalog, api: IntakeApi, group: str = GROUP) -> EventConsumer:
    return subscriptions.consumer(bootstrap, catalog, subscribed(api), group, CONSUMER)
