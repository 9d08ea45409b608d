"""Helpers of the results tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from kafka import KafkaProducer

from services.results.store import ResultsStore
from services.shared import cloudevents, topics
from tests.support import eventually
from tongban.events.v1 import events_pb2
from tongban.results.v1 import results_pb2_grpc
from tongban.types.v1 import types_pb2


@dataclass
class RunningResults:
    stub: results_pb2_grpc.ResultsServiceStub
    address: str
    pool: asyncpg.Pool
    store: ResultsStore
    bootstrap: str

    def publish(self, *events: object, at: datetime | None = None) -> None:
        """Events as the other services would send them (routing's keyed by province)."""
        catalog = topics.load()
        producer = KafkaProducer(bootstrap_servers=self.bootstrap)
        for event in events:
            topic = catalog.topic_for_event(event.DESCRIPTOR.full_name)  # type: ignore[attr-defined]
            key = str(getattr(event, topic.key))
            raw_key, value, headers = cloudevents.encode(
                event,
                source="test",
                key=key,  # type: ignore[arg-type]
                at=at,
            )
            producer.send(topic.name, key=raw_key, value=value, headers=headers)
        producer.flush()
        producer.close()

    async def status(self, case_id: str) -> str | None:
        value: str | None = await self.pool.fetchval("SELECT status FROM cases WHERE case_id = $1", case_id)
        return value

    async def wait_status(self, case_id: str, wanted: str) -> None:
        async def reached() -> bool:
            return await self.status(case_id) == wanted

        await eventually(reached, timeout=30)


def assigned_case(case_id: str, official: str = "sh-official-1", matter: str = "HF-TRANSFER") -> list[object]:
    return [
        events_pb2.ApplicationCreated(
            case_id=case_id,
            hall_id="hall-340104-01",
            hall_province="340000",
            target_province="310000",
            matter_code=matter,
            department="housing_fund",
            applicant=types_pb2.MaskedApplicant(
                name="张*", id_number="340104********123X", phone="138****5678", pseudonym="p" * 32
            ),
        ),
        events_pb2.ApplicationSubmitted(
            case_id=case_id,
            target_province="310000",
            hall_province="340000",
            matter_code=matter,
            time_limit_working_days=5,
            hall_id="hall-340104-01",
        ),
        events_pb2.CaseQueued(case_id=case_id, province="310000", department="housing_fund"),
        events_pb2.CaseReserved(case_id=case_id, province="310000", official_id=official),
        events_pb2.CaseAssigned(case_id=case_id, province="310000", official_id=official),
    ]


async def start_at_the_end(pool: asyncpg.Pool, bootstrap: str, names: list[str]) -> None:
    """The topics are shared with every other test: this database's projection starts at
    their current end, as if results had just been deployed, instead of replaying them."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    partitions = [
        TopicPartition(name, p) for name in names for p in consumer.partitions_for_topic(name) or ()
    ]
    ends = consumer.end_offsets(partitions)
    consumer.close()
    await pool.executemany(
        "INSERT INTO consumer_offsets (consumer, topic, partition, next_offset)"
        " VALUES ('results-projection', $1, $2, $3)",
        [(tp.topic, tp.partition, offset) for tp, offset in ends.items()],
    )
