"""`make bench-routing`: events a second one routing worker sustains, and submitted →
reserved latency p50/p99 at a fixed arrival rate with officials available, beside the Kafka
floor (`make bench-kafka`) measured in the same run.

Uses TONGBAN_KAFKA_BOOTSTRAP if set, else a private broker; the worker is a real
`python -m services.routing` process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
import uuid

import grpc
from kafka import KafkaConsumer, KafkaProducer

from bench import kafka as bench_kafka
from bench.kit import kafka_for_bench, machine
from bench.stack import bench_env, service_process
from cli.textout import Progress, percentile, table
from services.shared import cloudevents, topics
from services.shared.catalog import load_catalog
from tongban.events.v1 import events_pb2
from tongban.routing.v1 import routing_pb2, routing_pb2_grpc
from tongban.types.v1 import types_pb2


def submitted(
    case_id: str, province: str, department: str = "housing_fund"
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    event = cloudevents.stamp(
        events_pb2.ApplicationSubmitted(
            case_id=case_id, target_province=province, department=department, matter_code="HF-TRANSFER"
        )
    )
    return cloudevents.encode(event, source="bench", key=case_id)


class RoutingTap:
    """Reads tongban.routing from the end, noting when each case's events arrive."""

    def __init__(self, bootstrap: str, kinds: set[str]) -> None:
        self.kinds = kinds
        self.seen: dict[str, float] = {}
        self.count = 0
        self.consumer = KafkaConsumer(
            topics.ROUTING, bootstrap_servers=bootstrap, auto_offset_reset="latest", fetch_max_wait_ms=5
        )
        while not self.consumer.assignment():
            self.consumer.poll(timeout_ms=100)
        for tp in self.consumer.assignment():
            self.consumer.position(tp)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            for records in self.consumer.poll(timeout_ms=100).values():
                now = time.time()
                for record in records:
                    self.count += 1
                    kind = dict(record.headers)["ce_type"].decode().rsplit(".", 1)[1]
                    if kind in self.kinds:
                        envelope = cloudevents.decode(record.key, record.value, record.headers)
                        self.seen.setdefault(envelope.case_id, now)
        self.consumer.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def throughput(bootstrap: str, count: int) -> float:
    """Submissions spread over the 31 provinces with nobody available: enqueue work only."""
    provinces = [p.code for p in load_catalog().provinces()]
    tap = RoutingTap(bootstrap, {"CaseQueued"})
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    cases = [str(uuid.uuid4()) for _ in range(count)]
    started = time.time()
    for i, case_id in enumerate(cases):
        key, value, headers = submitted(case_id, provinces[i % len(provinces)])
        producer.send(topics.APPLICATION, key=key, value=value, headers=headers)
    producer.flush()
    progress = Progress(f"route {count:,} submissions", count)
    while len(tap.seen) < count:
        time.sleep(0.2)
        progress.advance(len(tap.seen) - progress.done)
    elapsed = max(tap.seen.values()) - started
    tap.close()
    # each submission is two events through the worker: the command in, case.queued out
    return 2 * count / elapsed


async def register_officials(address: str, provinces: list[str], per_province: int) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = routing_pb2_grpc.RoutingServiceStub(channel)
        progress = Progress("register officials", len(provinces) * per_province)

        async def one(province: str, i: int) -> None:
            oid = f"bench-{province}-{i}"
            # another department than the throughput run's backlog, which nobody serves
            await stub.RegisterOfficial(
                routing_pb2.RegisterOfficialRequest(
                    official=routing_pb2.Official(id=oid, province=province, department="hrss")
                )
            )
            await stub.SetPresence(
                routing_pb2.SetPresenceRequest(
                    official_id=oid, province=province, presence=types_pb2.PRESENCE_AVAILABLE
                )
            )
            progress.advance()

        for province in provinces:
            await asyncio.gather(*(one(province, i) for i in range(per_province)))


def latency(bootstrap: str, address: str, rate: int, seconds: float) -> list[float]:
    # every case finds an official free (nobody accepts here): enough officials, spread over
    # ten provinces so no one province's state grows large
    provinces = [p.code for p in load_catalog().provinces()][:10]
    total = int(rate * seconds)
    asyncio.run(register_officials(address, provinces, total // len(provinces) + 5))
    tap = RoutingTap(bootstrap, {"CaseReserved"})
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    sent: dict[str, float] = {}
    progress = Progress(f"submit at {rate}/s", total)
    started = time.perf_counter()
    for i in range(total):
        pause = started + i / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        case_id = str(uuid.uuid4())
        key, value, headers = submitted(case_id, provinces[i % len(provinces)], "hrss")
        sent[case_id] = time.time()
        producer.send(topics.APPLICATION, key=key, value=value, headers=headers)
        progress.advance()
    producer.flush()
    deadline = time.time() + 30
    while len(set(sent) & set(tap.seen)) < total and time.time() < deadline:
        time.sleep(0.2)
    tap.close()
    return [(tap.seen[c] - t) * 1000 for c, t in sent.items() if c in tap.seen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with kafka_for_bench() as kafka:
        topics.ensure_topics(kafka, topics.load())
        floor = bench_kafka.measure(kafka, records=50_000, seconds=5)
        env = bench_env(kafka)
        env.update(
            TONGBAN_WORKER_NAME=f"bench-routing-{uuid.uuid4().hex[:6]}",
            TONGBAN_ROUTING_DATA_DIR=tempfile.mkdtemp(prefix="bench-routing-"),
            TONGBAN_RESERVATION_TIMEOUT_S="600",
        )
        with service_process("services.routing", env, timeout=90) as address:
            rate = throughput(kafka, args.count)
            samples = latency(kafka, address, args.rate, args.seconds)
    rows: list[list[object]] = [
        *floor.rows(),
        ["routing worker: events in + out (enqueue, 31 provinces)", f"{rate:,.0f} events/s", ""],
        [
            f"submitted → reserved at {args.rate}/s ({len(samples):,} cases)",
            f"p50 {percentile(samples, 50):.1f} ms",
            f"p99 {percentile(samples, 99):.1f} ms",
        ],
    ]
    print(
        table(
            "Routing (one faust worker, one broker, same machine)",
            ["measure", "rate / p50", "throughput / p99"],
            rows,
        )
    )
    os.environ.pop("TONGBAN_WORKER_NAME", None)


if __name__ == "__main__":
    main()
