"""`make bench-kafka`: this machine's Kafka floor, which every other benchmark is compared to.

kafka-python produce and consume rates for 1 KB records, and end-to-end latency (produce →
consume) p50/p99 at a fixed rate. Other benchmarks call `measure()` in their own run.
"""

from __future__ import annotations

import argparse
import os
import struct
import threading
import time
import uuid
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from bench.kit import kafka_for_bench, machine
from cli.textout import Progress, percentile, table

RECORD = 1024


@dataclass(frozen=True)
class Floor:
    records: int
    produce_per_s: float
    produce_mb_s: float
    consume_per_s: float
    consume_mb_s: float
    rate: int
    latency_p50_ms: float
    latency_p99_ms: float

    def rows(self) -> list[list[object]]:
        return [
            [
                "kafka produce (1 KB, acks=all, idempotent)",
                f"{self.produce_per_s:,.0f} rec/s",
                f"{self.produce_mb_s:.1f} MB/s",
            ],
            ["kafka consume (1 KB)", f"{self.consume_per_s:,.0f} rec/s", f"{self.consume_mb_s:.1f} MB/s"],
            [
                f"kafka end-to-end latency at {self.rate}/s",
                f"p50 {self.latency_p50_ms:.1f} ms",
                f"p99 {self.latency_p99_ms:.1f} ms",
            ],
        ]


def new_topic(bootstrap: str, partitions: int = 3) -> str:
    name = f"bench.kafka.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(name, partitions, 1)])
    admin.close()
    return name


def produce_rate(bootstrap: str, topic: str, count: int) -> float:
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5, batch_size=256 * 1024
    )
    payload = os.urandom(RECORD)
    progress = Progress("produce", count)
    started = time.perf_counter()
    for i in range(count):
        producer.send(topic, value=payload, key=str(i % 64).encode())
        if i % 1000 == 999:
            progress.advance(1000)
    producer.flush()
    elapsed = time.perf_counter() - started
    progress.advance(count - progress.done)
    producer.close()
    return count / elapsed


def consume_rate(bootstrap: str, topic: str, count: int) -> float:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        fetch_max_bytes=50 * 2**20,
        max_partition_fetch_bytes=10 * 2**20,
        consumer_timeout_ms=10000,
    )
    progress = Progress("consume", count)
    seen = 0
    started = 0.0
    for _ in consumer:
        if seen == 0:
            started = time.perf_counter()  # time from the first record: excludes group set-up
        seen += 1
        if seen % 1000 == 0:
            progress.advance(1000)
        if seen >= count:
            break
    elapsed = time.perf_counter() - started
    consumer.close()
    progress.advance(count - progress.done)
    return seen / elapsed if elapsed > 0 else 0.0


def latency(bootstrap: str, topic: str, rate: int, seconds: float) -> list[float]:
    """Sends timestamped 1 KB records at `rate`/s; a consumer measures produce→consume time."""
    total = int(rate * seconds)
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        group_id=None,
        fetch_max_wait_ms=5,
    )
    while not consumer.assignment():  # join before sending, so nothing is missed
        consumer.poll(timeout_ms=100)
    for partition in consumer.assignment():
        consumer.position(partition)
    samples: list[float] = []

    def consume() -> None:
        while len(samples) < total:
            for records in consumer.poll(timeout_ms=200).values():
                for record in records:
                    (sent,) = struct.unpack_from("d", record.value)
                    samples.append((time.time() - sent) * 1000)
            if time.monotonic() > deadline:
                return

    deadline = time.monotonic() + seconds + 15
    reader = threading.Thread(target=consume)
    reader.start()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0)
    padding = os.urandom(RECORD - 8)
    progress = Progress(f"latency at {rate}/s", total)
    started = time.perf_counter()
    for i in range(total):
        target = started + i / rate
        pause = target - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        producer.send(topic, value=struct.pack("d", time.time()) + padding)
        progress.advance()
    producer.flush()
    reader.join()
    producer.close()
    consumer.close()
    return samples


def measure(bootstrap: str, records: int = 100_000, rate: int = 500, seconds: float = 10) -> Floor:
    topic = new_topic(bootstrap)
    produced = produce_rate(bootstrap, topic, records)
    consumed = consume_rate(bootstrap, topic, records)
    samples = latency(bootstrap, new_topic(bootstrap, 1), rate, seconds)
    return Floor(
        records,
        produced,
        produced * RECORD / 1e6,
        consumed,
        consumed * RECORD / 1e6,
        rate,
        percentile(samples, 50),
        percentile(samples, 99),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=500, help="records/s for the latency run")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with kafka_for_bench() as bootstrap:
        floor = measure(bootstrap, args.records, args.rate, args.seconds)
    print(
        table(
            "Kafka floor (kafka-python, single broker on this machine)",
            ["measure", "rate / p50", "throughput / p99"],
            floor.rows(),
        )
    )


if __name__ == "__main__":
    main()
