"""The outbox against the real broker: nothing is lost, nothing doubled, order kept per key."""

import asyncio
import uuid
from collections import defaultdict

import asyncpg
import pytest
from kafka import KafkaConsumer

from services.shared import cloudevents, migrations, outbox, topics
from services.shared.outbox import OutboxRelay, Row, sendable_prefix
from tests.support import eventually
from tongban.events.v1 import events_pb2
from tools.engines import KafkaNode


def catalog_with_fresh_topic() -> topics.Catalog:
    name = f"test.outbox.{uuid.uuid4().hex[:8]}"
    return topics.parse(
        f"topics: [{{name: {name}, partitions: 3, retention_ms: 3600000,"
        " cleanup_policy: delete, key: case_id, events: [ApplicationCreated]}]"
    )


def read_all(bootstrap: str, topic: str, expected: int) -> list[cloudevents.Envelope]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    seen: list[cloudevents.Envelope] = []
    try:
        for record in consumer:
            seen.append(cloudevents.decode(record.key, record.value, record.headers))
            if len(seen) >= expected:
                # drain a little more: duplicates would show up right behind
                consumer.config["consumer_timeout_ms"] = 1000
    finally:
        consumer.close()
    return seen


async def write_events(url: str, catalog: topics.Catalog, cases: list[str], per_case: int) -> list[str]:
    """Each event in its own business transaction, interleaving the cases."""
    conn = await asyncpg.connect(url)
    ids: list[str] = []
    try:
        for i in range(per_case):
            for case in cases:
                async with conn.transaction():
                    event = events_pb2.ApplicationCreated(case_id=case, hall_id=f"step-{i}")
                    ids.append(await outbox.enqueue(conn, catalog, event, source="test"))
    finally:
        await conn.close()
    return ids


def test_prefix_marking_keeps_key_order() -> None:
    rows = [
        Row(i, f"e{i}", "t", key, "x", "s", None, b"", 0)  # type: ignore[arg-type]
        for i, key in enumerate(["a", "b", "a", "b", "a"])
    ]
    sent, retry = sendable_prefix(rows, [True, True, False, True, True])
    assert sent == [0, 1, 3]  # a's later row waits behind its failed one; b carries on
    assert retry == [2, 4]


def test_backoff_grows_and_caps() -> None:
    assert [outbox.backoff_seconds(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert outbox.backoff_seconds(50) == 30.0


async def test_published_once_in_order_after_a_normal_run(fresh_database: str, kafka_bootstrap: str) -> None:
    catalog = catalog_with_fresh_topic()
    topics.ensure_topics(kafka_bootstrap, catalog)
    await migrations.prepare(fresh_database, None)
    relay = OutboxRelay(fresh_database, kafka_bootstrap, "test-relay", poll_interval_s=0.2)
    relay.start()
    try:
        ids = await write_events(fresh_database, catalog, ["c1", "c2"], 20)
        conn = await asyncpg.connect(fresh_database)
        await eventually(
            lambda: conn.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"), timeout=30
        )
        await conn.close()
    finally:
        await relay.stop()
    seen = await asyncio.to_thread(read_all, kafka_bootstrap, catalog.topics[0].name, len(ids))
    assert sorted(e.id for e in seen) == sorted(ids)


async def test_rows_written_while_the_broker_is_down_arrive_once_in_order(
    fresh_database: str, kafka_bootstrap: str, kafka_node: KafkaNode | None
) -> None:
    if kafka_node is None:
        pytest.skip("needs the suite's own broker to stop it (TONGBAN_TEST_KAFKA is set)")
    catalog = catalog_with_fresh_topic()
    topic = catalog.topics[0].name
    topics.ensure_topics(kafka_bootstrap, catalog)
    await migrations.prepare(fresh_database, None)
    relay = OutboxRelay(fresh_database, kafka_bootstrap, "test-relay", poll_interval_s=0.2)
    relay.start()
    try:
        first = await write_events(fresh_database, catalog, ["k1", "k2", "k3"], 5)
        conn = await asyncpg.connect(fresh_database)
        await eventually(
            lambda: conn.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"), timeout=30
        )

        await asyncio.to_thread(kafka_node.stop)
        during = await write_events(fresh_database, catalog, ["k1", "k2", "k3"], 10)
        # the relay tries and fails while the broker is away
        await eventually(
            lambda: conn.fetchval("SELECT count(*) > 0 FROM outbox WHERE attempts > 0"), timeout=40
        )
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == len(during)

        await asyncio.to_thread(kafka_node.start)
        await eventually(
            lambda: conn.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"),
            timeout=90,
            interval=0.5,
        )
        order = [
            r["event_id"] for r in await conn.fetch("SELECT event_id::text, key FROM outbox ORDER BY id")
        ]
        keys = {r["event_id"]: r["key"] for r in await conn.fetch("SELECT event_id::text, key FROM outbox")}
        await conn.close()
    finally:
        await relay.stop()

    expected = first + during
    seen = await asyncio.to_thread(read_all, kafka_bootstrap, topic, len(expected))
    unique_in_arrival: list[str] = []
    for envelope in seen:
        if envelope.id not in unique_in_arrival:
            unique_in_arrival.append(envelope.id)
    assert sorted(unique_in_arrival) == sorted(expected)  # every row, none lost
    assert len(unique_in_arrival) == len(expected)  # each once after dedupe by ce_id
    per_key_sent: dict[str, list[str]] = defaultdict(list)
    per_key_seen: dict[str, list[str]] = defaultdict(list)
    for event_id in order:
        per_key_sent[keys[event_id]].append(event_id)
    for event_id in unique_in_arrival:
        per_key_seen[keys[event_id]].append(event_id)
    assert per_key_seen == per_key_sent  # in order per key
