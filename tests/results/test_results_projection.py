"""The timeline projection against the real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from google.protobuf.message import Message
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from services.results.projection import Item, Projector, TimelineWriter
from services.shared import cloudevents, migrations, topics
from tests.support import eventually
from tongban.events.v1 import events_pb2
from tongban.types.v1 import types_pb2

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "results" / "migrations"


def fresh_topic(bootstrap: str, partitions: int = 3) -> str:
    name = f"test.projection.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(name, partitions, 1)])
    admin.close()
    return name


def journey(case_id: str) -> list[object]:
    return [
        events_pb2.ApplicationCreated(
            case_id=case_id,
            hall_province="340000",
            target_province="310000",
            matter_code="HF-TRANSFER",
            applicant=types_pb2.MaskedApplicant(name="张*"),
        ),
        events_pb2.ApplicationSubmitted(case_id=case_id, target_province="310000", time_limit_working_days=5),
        events_pb2.CaseQueued(case_id=case_id, province="310000"),
        events_pb2.CaseReserved(case_id=case_id, province="310000", official_id="sh-1"),
        events_pb2.CaseAssigned(case_id=case_id, province="310000", official_id="sh-1"),
    ]


def publish(bootstrap: str, topic: str, events: Sequence[object], repeat_ids: bool = False) -> list[str]:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    ids: list[str] = []
    for event in events:
        event_id = str(uuid.uuid4())
        key, value, headers = cloudevents.encode(
            event,
            source="test",  # type: ignore[arg-type]
            key=event.case_id,
            event_id=event_id,
        )  # type: ignore[attr-defined]
        for _ in range(2 if repeat_ids else 1):  # the same event delivered twice
            producer.send(topic, key=key, value=value, headers=headers)
        ids.append(event_id)
    producer.flush()
    producer.close()
    return ids


async def test_the_same_event_twice_lands_once(fresh_database: str, kafka_bootstrap: str) -> None:
    await migrations.prepare(fresh_database, MIGRATIONS, with_outbox=False)
    pool = await asyncpg.create_pool(fresh_database)
    topic = fresh_topic(kafka_bootstrap)
    case_id = str(uuid.uuid4())
    ids = await asyncio.to_thread(publish, kafka_bootstrap, topic, journey(case_id), True)
    projector = Projector(
        TimelineWriter(pool, "test"), kafka_bootstrap, [topic], group_id=f"g-{uuid.uuid4().hex[:6]}"
    )
    projector.start()
    try:
        await eventually(
            lambda: pool.fetchval("SELECT count(*) = 5 FROM timeline WHERE case_id = $1", case_id), timeout=30
        )
        await asyncio.sleep(1)  # the duplicates have been read too by now
        rows = await pool.fetch(
            "SELECT event_id::text FROM timeline WHERE case_id = $1 ORDER BY time, seq", case_id
        )
        assert [r["event_id"] for r in rows] == ids
        case = await pool.fetchrow("SELECT * FROM cases WHERE case_id = $1", case_id)
        assert case["status"] == "ASSIGNED" and case["official_id"] == "sh-1"
        assert case["hall_province"] == "340000" and case["applicant_name"] == "张*"
        assert await pool.fetchval("SELECT count(*) FROM anomalies") == 0
    finally:
        await projector.stop()
        await pool.close()


class CrashingWriter(TimelineWriter):
    """Dies inside the transaction of its third batch, as a killed process would."""

    def __init__(self, pool: asyncpg.Pool, name: str) -> None:
        super().__init__(pool, name)
        self.batches = 0

    async def write(self, items: Sequence[Item], next_offsets: dict[tuple[str, int], int]) -> int:
        self.batches += 1
        if self.batches == 3:
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "INSERT INTO timeline (event_id, case_id, type, source, time,"
                    " topic, partition, \"offset\", data) VALUES ($1, 'x', 'x', 'x',"
                    " now(), 'x', 0, 0, '{}')",
                    uuid.uuid4(),
                )
                raise RuntimeError("killed mid-batch")
        return await super().write(items, next_offsets)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the kill
async def test_a_projector_killed_mid_batch_resumes_exactly_once(
    fresh_database: str, kafka_bootstrap: str
) -> None:
    await migrations.prepare(fresh_database, MIGRATIONS, with_outbox=False)
    pool = await asyncpg.create_pool(fresh_database)
    topic = fresh_topic(kafka_bootstrap)
    cases = [str(uuid.uuid4()) for _ in range(40)]
    events = [e for case in cases for e in journey(case)]
    ids = await asyncio.to_thread(publish, kafka_bootstrap, topic, events)
    group = f"g-{uuid.uuid4().hex[:6]}"
    crashing = Projector(CrashingWriter(pool, "test"), kafka_bootstrap, [topic], group_id=group, max_batch=20)
    crashing.start()
    await eventually(lambda: crashing._thread is not None and not crashing._thread.is_alive(), timeout=30)
    partial = await pool.fetchval("SELECT count(*) FROM timeline")
    assert 0 < partial < len(ids)  # it died part way, and its half batch was rolled back
    restarted = Projector(TimelineWriter(pool, "test"), kafka_bootstrap, [topic], group_id=group)
    restarted.start()
    try:
        await eventually(lambda: pool.fetchval("SELECT count(*) = $1 FROM timeline", len(ids)), timeout=40)
        await asyncio.sleep(1)
        stored = [r["event_id"] for r in await pool.fetch("SELECT event_id::text FROM timeline")]
        assert sorted(stored) == sorted(ids)  # every event, exactly once
        statuses = {r["status"] for r in await pool.fetch("SELECT status FROM cases")}
        assert statuses == {"ASSIGNED"}
        assert await pool.fetchval("SELECT count(*) FROM cases") == len(cases)
    finally:
        await restarted.stop()
        await pool.close()


async def test_poison_records_go_to_dead_letter_and_the_projection_carries_on(
    fresh_database: str, kafka_bootstrap: str
) -> None:
    topics.ensure_topics(kafka_bootstrap, topics.load())
    await migrations.prepare(fresh_database, MIGRATIONS, with_outbox=False)
    pool = await asyncpg.create_pool(fresh_database)
    topic = fresh_topic(kafka_bootstrap, 1)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(topic, key=b"x", value=b"garbage", headers=[("ce_type", b"nope")])
    producer.flush()
    producer.close()
    case_id = str(uuid.uuid4())
    await asyncio.to_thread(publish, kafka_bootstrap, topic, journey(case_id)[:1])
    projector = Projector(
        TimelineWriter(pool, "test"), kafka_bootstrap, [topic], group_id=f"g-{uuid.uuid4().hex[:6]}"
    )
    projector.start()
    try:
        await eventually(
            lambda: pool.fetchval("SELECT count(*) = 1 FROM timeline WHERE case_id = $1", case_id), timeout=30
        )
    finally:
        await projector.stop()
        await pool.close()


def supplement_journey(case_id: str) -> list[Item]:
    """A 补正 case whose supplement never comes, as Items on the four topics, a second apart."""
    catalog = topics.load()
    outcome = types_pb2.DECISION_OUTCOME_SUPPLEMENT_REQUESTED
    events: list[Message] = [
        *journey(case_id)[:2],
        events_pb2.MaterialUploaded(case_id=case_id, material_code="new_account"),
        *journey(case_id)[2:],
        events_pb2.WindowConnected(case_id=case_id),
        events_pb2.DecisionRecorded(case_id=case_id, outcome=outcome, supplements=["new_account"]),
        events_pb2.WindowClosed(case_id=case_id),
    ]
    start = datetime(2025, 3, 3, 9, tzinfo=UTC)
    offsets: dict[str, int] = {}
    items: list[Item] = []
    for i, event in enumerate(events):
        topic = catalog.topic_for_event(event.DESCRIPTOR.full_name).name
        offsets[topic] = offsets.get(topic, -1) + 1
        envelope = cloudevents.Envelope(
            str(uuid.uuid4()),
            event.DESCRIPTOR.full_name,
            "test",
            start + timedelta(seconds=i),
            case_id,
            event,
        )
        items.append(Item(envelope, topic, 0, offsets[topic]))
    return items


async def case_rows(pool: asyncpg.Pool) -> tuple[list[dict[str, object]], list[tuple[str, str]]]:
    cases = [
        {k: v for k, v in r.items() if k != "updated_at"}
        for r in await pool.fetch("SELECT * FROM cases ORDER BY case_id")
    ]
    anomalies = [
        (r["event_id"], r["description"])
        for r in await pool.fetch("SELECT event_id::text, description FROM anomalies ORDER BY 1, 2")
    ]
    return cases, anomalies


async def test_the_case_row_does_not_depend_on_how_the_topics_interleave(fresh_database: str) -> None:
    """Issue 13, bug 2: live, the events come one by one as they happen; a rebuild read the
    routing, window and result topics before the application topic, took the round-1
    uploads for the supplies and rebuilt SUBMITTED. Both must give the same row."""
    await migrations.prepare(fresh_database, MIGRATIONS, with_outbox=False)
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=2)
    writer = TimelineWriter(pool, "test")
    items = supplement_journey(str(uuid.uuid4()))
    application = topics.load().topic_for_event("ApplicationCreated").name
    try:
        for item in items:  # live
            await writer.write([item], {})
        live = await case_rows(pool)
        assert live[0][0]["status"] == "SUPPLEMENT_REQUESTED" and live[1] == []
        assert live[0][0]["window_closed_at"] == items[-1].envelope.time
        await pool.execute("TRUNCATE timeline, cases, anomalies")
        await writer.write([i for i in items if i.topic != application], {})
        between = await case_rows(pool)  # the decision before any application event: odd
        assert between[0][0]["status"] == "SUPPLEMENT_REQUESTED"
        await writer.write([i for i in items if i.topic == application], {})
        assert await case_rows(pool) == live
        await writer.write(items[::-1], {})  # everything again, backwards: all duplicates
        assert await case_rows(pool) == live
    finally:
        await pool.close()
