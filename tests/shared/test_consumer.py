"""The consumer loop and the publisher against the real broker, with a poison record."""

import asyncio
import uuid

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from services.shared import cloudevents, topics
from services.shared.consumer import EventConsumer
from services.shared.publisher import EventPublisher
from tests.support import eventually
from tongban.events.v1 import events_pb2


def fresh_topic(bootstrap: str) -> str:
    name = f"test.consumer.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(name, 1, 1)])
    admin.close()
    return name


def dead_letters_for(bootstrap: str, topic: str) -> list[dict[str, bytes]]:
    consumer = KafkaConsumer(
        topics.DEAD_LETTER,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=2000,
    )
    found = [dict(r.headers) for r in consumer if dict(r.headers).get("dlq_topic") == topic.encode()]
    consumer.close()
    return found


async def test_good_records_reach_the_handler_and_poison_goes_to_dead_letter(
    kafka_bootstrap: str,
) -> None:
    topic = fresh_topic(kafka_bootstrap)
    topics.ensure_topics(kafka_bootstrap, topics.load())
    received: list[cloudevents.Envelope] = []

    async def handle(envelope: cloudevents.Envelope) -> None:
        received.append(envelope)

    consumer = EventConsumer(
        kafka_bootstrap, [topic], f"g-{uuid.uuid4().hex[:6]}", handle, "test", types={"CaseAssigned"}
    )
    consumer.start()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    try:
        assigned = events_pb2.CaseAssigned(case_id="case-1", province="310000", official_id="o1")
        queued = events_pb2.CaseQueued(case_id="case-1", province="310000")
        for event in (queued, assigned):
            key, value, headers = cloudevents.encode(event, source="test", key="case-1")
            producer.send(topic, key=key, value=value, headers=headers)
        producer.send(topic, key=b"case-2", value=b"not an event", headers=[("ce_id", b"x")])
        producer.flush()
        await eventually(lambda: received, timeout=30)
        await asyncio.sleep(0.5)
        assert [e.short_type for e in received] == ["CaseAssigned"]  # filtered by type
        assert received[0].event.official_id == "o1"
        parked = await eventually(lambda: dead_letters_for(kafka_bootstrap, topic), timeout=30)
        assert b"missing CloudEvents headers" in parked[0]["dlq_reason"]
    finally:
        producer.close()
        await consumer.stop()


async def test_publisher_routes_by_catalog_and_keys_by_the_topic_key(kafka_bootstrap: str) -> None:
    catalog = topics.load()
    topics.ensure_topics(kafka_bootstrap, catalog)
    publisher = EventPublisher(kafka_bootstrap, "window", catalog)
    case_id = uuid.uuid4().hex
    try:
        event_id = await publisher.publish(
            events_pb2.WindowOpened(case_id=case_id, window_id="w1"), wait=True
        )
    finally:
        await publisher.close()
    consumer = KafkaConsumer(
        "tongban.window",
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    matches = [r for r in consumer if r.key == case_id.encode()]
    consumer.close()
    assert len(matches) == 1
    envelope = cloudevents.decode(matches[0].key, matches[0].value, matches[0].headers)
    assert envelope.id == event_id and envelope.source == "window"
