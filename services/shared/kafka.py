"""Kafka clients as every service configures them (kafka-python, so run them off the loop)."""

from __future__ import annotations

import logging
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from services.shared import cloudevents
from services.shared.topics import dead_letter_for

log = logging.getLogger(__name__)


def reliable_producer(bootstrap: str, client_id: str, **overrides: Any) -> KafkaProducer:
    """Idempotent, acks=all: a record acknowledged is on every in-sync replica, once, in order."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "max_in_flight_requests_per_connection": 5,  # the most idempotence keeps ordered
        "linger_ms": 5,
        "compression_type": None,
        "retries": 2**31 - 1,
        "request_timeout_ms": 5000,
        "delivery_timeout_ms": 15000,  # fail fast enough for the outbox to retry later
        "max_block_ms": 5000,
    }
    options.update(overrides)
    return KafkaProducer(**options)


def consumer(bootstrap: str, group_id: str | None, client_id: str, **overrides: Any) -> KafkaConsumer:
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "client_id": client_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": 500,
    }
    options.update(overrides)
    return KafkaConsumer(**options)


def send_to_dead_letter(
    producer: KafkaProducer, record: Any, reason: str, consumer_name: str, topic: str | None = None
) -> None:
    """Parks a poison record with the reason in a header; the consumer carries on. It goes to
    `topic`, by default the dead-letter topic of the record's own topic namespace."""
    headers = cloudevents.dead_letter_headers(
        record.headers, reason, record.topic, record.partition, record.offset, consumer_name
    )
    parked = topic or dead_letter_for(record.topic)
    producer.send(parked, key=record.key, value=record.value, headers=headers).get(timeout=15)
    log.warning(
        "record sent to dead-letter",
        extra={
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "reason": reason,
        },
    )
