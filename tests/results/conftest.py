"""A real results service for tests: gRPC server, projection, outbox relay, its own database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import grpc
import pytest
from kafka import KafkaProducer

from services.results.__main__ import MIGRATIONS
from services.results.api import ResultsApi
from services.results.calendar import default_calendar
from services.results.projection import Projector, TimelineWriter
from services.results.store import ResultsStore
from services.shared import cloudevents, migrations, pii, topics
from services.shared.catalog import load_catalog
from services.shared.grpcserver import Service
from services.shared.outbox import OutboxRelay
from support import eventually
from tongban.events.v1 import events_pb2
from tongban.results.v1 import results_pb2_grpc
from tongban.types.v1 import types_pb2
from tools.engines import free_port

SECRET = os.urandom(32)


@dataclass
class RunningResults:
    stub: results_pb2_grpc.ResultsServiceStub
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
            raw_key, value, headers = cloudevents.encode(event, source="test", key=key,  # type: ignore[arg-type]
                                                         at=at)
            producer.send(topic.name, key=raw_key, value=value, headers=headers)
        producer.flush()
        producer.close()

    async def status(self, case_id: str) -> str | None:
        value: str | None = await self.pool.fetchval(
            "SELECT status FROM cases WHERE case_id = $1", case_id)
        return value

    async def wait_status(self, case_id: str, wanted: str) -> None:
        async def reached() -> bool:
            return await self.status(case_id) == wanted
        await eventually(reached, timeout=30)


def assigned_case(case_id: str, official: str = "sh-official-1", matter: str = "HF-TRANSFER"
                  ) -> list[object]:
    return [
        events_pb2.ApplicationCreated(
            case_id=case_id, hall_id="hall-340104-01", hall_province="340000",
            target_province="310000", matter_code=matter, department="housing_fund",
            applicant=types_pb2.MaskedApplicant(name="张*", id_number="340104********123X",
                                                phone="138****5678", pseudonym="p" * 32)),
        events_pb2.ApplicationSubmitted(case_id=case_id, target_province="310000",
                                        hall_province="340000", matter_code=matter,
                                        time_limit_working_days=5, hall_id="hall-340104-01"),
        events_pb2.CaseQueued(case_id=case_id, province="310000", department="housing_fund"),
        events_pb2.CaseReserved(case_id=case_id, province="310000", official_id=official),
        events_pb2.CaseAssigned(case_id=case_id, province="310000", official_id=official),
    ]


async def start_at_the_end(pool: asyncpg.Pool, bootstrap: str, names: list[str]) -> None:
    """The topics are shared with every other test: this database's projection starts at
    their current end, as if results had just been deployed, instead of replaying them."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    partitions = [TopicPartition(name, p) for name in names
                  for p in consumer.partitions_for_topic(name) or ()]
    ends = consumer.end_offsets(partitions)
    consumer.close()
    await pool.executemany(
        "INSERT INTO consumer_offsets (consumer, topic, partition, next_offset)"
        " VALUES ('results-projection', $1, $2, $3)",
        [(tp.topic, tp.partition, offset) for tp, offset in ends.items()])


@pytest.fixture
async def results(fresh_database: str, kafka_bootstrap: str) -> AsyncIterator[RunningResults]:
    catalog = topics.load()
    topics.ensure_topics(kafka_bootstrap, catalog)
    await migrations.prepare(fresh_database, MIGRATIONS)
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=10)
    await start_at_the_end(pool, kafka_bootstrap, catalog.event_topics())
    store = ResultsStore(pool, catalog)
    relay = OutboxRelay(fresh_database, kafka_bootstrap, "test-results", poll_interval_s=0.2)
    projector = Projector(TimelineWriter(pool, "results-projection"), kafka_bootstrap,
                          catalog.event_topics(), group_id=f"test-results-{uuid.uuid4().hex[:6]}")
    api = ResultsApi(store, load_catalog(), default_calendar(), SECRET,
                     pii.Keyring.parse(f"t:{pii.generate_key()}"), "http://127.0.0.1:8080")
    port = free_port()
    service = Service("results", f"127.0.0.1:{port}")
    service.add(lambda s: results_pb2_grpc.add_ResultsServiceServicer_to_server(api, s),
                "tongban.results.v1.ResultsService")
    await service.start()
    relay.start()
    projector.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield RunningResults(results_pb2_grpc.ResultsServiceStub(channel), pool, store,
                             kafka_bootstrap)
    finally:
        await channel.close()
        await service.stop(grace=0.5)
        await projector.stop()
        await relay.stop()
        await pool.close()


def now() -> datetime:
    return datetime.now(UTC)
