"""Operator reads of Kafka itself, blocking (kafka-python): call them with asyncio.to_thread.

Dead letters come from a short-lived consumer on the dead-letter topic; lag compares each
consumer group's committed offsets with the partitions' end offsets. Both stay inside the
gateway's topic namespace (names as on the broker).
"""

from __future__ import annotations

import socket
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from services.shared.topics import Catalog

TIMEOUT_MS = 5000
SHOWN_HEADERS = (
    "dlq_reason",
    "dlq_topic",
    "dlq_partition",
    "dlq_offset",
    "dlq_consumer",
    "dlq_time",
    "ce_type",
    "ce_id",
    "ce_source",
)


class KafkaDown(Exception):
    """No bootstrap server accepts a connection."""


def reachable(bootstrap: str, timeout_s: float = 1.0) -> None:
    """Fails fast (KafkaDown) when no broker listens, instead of the clients' long retries."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=timeout_s).close()
            return
        except (OSError, ValueError):
            continue
    raise KafkaDown(bootstrap)


def dead_letters(bootstrap: str, catalog: Catalog, limit: int = 100) -> list[dict[str, Any]]:
    """The newest `limit` dead-lettered records, newest first (headers and size; the value
    itself stays in Kafka)."""
    reachable(bootstrap)
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=TIMEOUT_MS + 1000,
        client_id="tongban-gateway-dlq",
    )
    try:
        parked = catalog.dead_letter
        partitions = [TopicPartition(parked, p) for p in sorted(consumer.partitions_for_topic(parked) or ())]
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        remaining = {}
        for tp in partitions:
            first = max(starts[tp], ends[tp] - limit)
            consumer.seek(tp, first)
            if ends[tp] > first:
                remaining[tp] = ends[tp]
        found: list[dict[str, Any]] = []
        polls = 0
        while remaining and polls < 50:
            polls += 1
            for tp, records in consumer.poll(timeout_ms=200).items():
                for record in records:
                    headers = {
                        k: (v or b"").decode("utf-8", errors="replace") for k, v in record.headers or ()
                    }
                    found.append(
                        {
                            "partition": record.partition,
                            "offset": record.offset,
                            "timestamp_ms": record.timestamp,
                            "key": (record.key or b"").decode("utf-8", errors="replace"),
                            "size": len(record.value or b""),
                            **{h.removeprefix("dlq_"): headers.get(h, "") for h in SHOWN_HEADERS},
                        }
                    )
                if consumer.position(tp) >= remaining.get(tp, 0):
                    remaining.pop(tp, None)
        found.sort(key=lambda r: (r["timestamp_ms"], r["offset"]), reverse=True)
        return found[:limit]
    finally:
        consumer.close()


def consumer_lag(bootstrap: str, catalog: Catalog) -> list[dict[str, Any]]:
    """Per group and topic: committed offset sum, end offset sum and the lag between them."""
    reachable(bootstrap)
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=TIMEOUT_MS, client_id="tongban-gateway-lag"
    )
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        request_timeout_ms=TIMEOUT_MS + 1000,
        client_id="tongban-gateway-lag",
    )
    rows: list[dict[str, Any]] = []
    try:
        listed = {g["group_id"] if isinstance(g, dict) else g[0] for g in admin.list_groups()}
        groups = sorted(g for g in listed if catalog.owns_group(g))
        for group in groups:
            answer = admin.list_group_offsets(group)
            offsets = answer.get(group, {}) if isinstance(answer, dict) else {}
            offsets = {tp: meta for tp, meta in offsets.items() if meta.offset >= 0}
            if not offsets:
                continue
            ends = consumer.end_offsets(list(offsets))
            per_topic: dict[str, dict[str, Any]] = {}
            for tp, meta in offsets.items():
                row = per_topic.setdefault(
                    tp.topic,
                    {"group": group, "topic": tp.topic, "partitions": 0, "committed": 0, "end": 0, "lag": 0},
                )
                row["partitions"] += 1
                row["committed"] += meta.offset
                row["end"] += ends[tp]
                row["lag"] += max(0, ends[tp] - meta.offset)
            rows += [per_topic[t] for t in sorted(per_topic)]
    finally:
        consumer.close()
        admin.close()
    return rows
