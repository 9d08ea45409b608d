"""What results consumes and publishes, at a glance.

Consumes every event topic of the catalog (`tongban.application`, `tongban.routing`,
`tongban.window`, `tongban.result`), every event type, into the case timeline
(projection.py; group `tongban-results-projection`, its offsets kept in PostgreSQL with the
rows, so the group commits none). Each case a batch touches is refolded from its events
(casefold.py); records that cannot be decoded go to the dead-letter topic.

Publishes through its outbox (store.py, in the transaction of the change), keyed by case id,
on `tongban.result`:

| event               | when                                                         |
|---------------------|--------------------------------------------------------------|
| DecisionRecorded    | RecordDecision                                               |
| ResultIssued        | an approval (with it)                                        |
| ResultDelivered     | an electronic certificate at once; mail and print on RecordDelivery |
| EvaluationSubmitted | SubmitEvaluation                                             |
| RectificationOpened | a 差评 (with its rating)                                     |
| RectificationClosed | CloseRectification                                           |
| CaseDeadlineWarning | the deadline watch, once per due date                        |
| CaseOverdue         | the deadline watch, once per due date                        |
| CaseClosed          | the case's last step (a rating or a delivery)                |

Topics follow from the event types through deploy/topics.yaml.
"""

from __future__ import annotations

import asyncpg

from services.results.projection import CONSUMER, Projector, TimelineWriter
from services.shared.topics import Catalog
from tongban.events.v1 import events_pb2

GROUP = "tongban-results-projection"

PUBLISHES = (
    events_pb2.DecisionRecorded,
    events_pb2.ResultIssued,
    events_pb2.ResultDelivered,
    events_pb2.EvaluationSubmitted,
    events_pb2.RectificationOpened,
    events_pb2.RectificationClosed,
    events_pb2.CaseDeadlineWarning,
    events_pb2.CaseOverdue,
    events_pb2.CaseClosed,
)


def consumed_topics(catalog: Catalog) -> list[str]:
    """Every topic that carries events: the timeline holds all of a case's events."""
    return catalog.event_topics()


def projector(pool: asyncpg.Pool, bootstrap: str, catalog: Catalog, group: str = GROUP) -> Projector:
    return Projector(TimelineWriter(pool, CONSUMER), bootstrap, consumed_topics(catalog), group_id=group)
