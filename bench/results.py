"""`make bench-results`: events a second projected from Kafka into PostgreSQL, and
GetCaseTimeline p99 with 1,000,000 events stored, beside the raw asyncpg COPY rate and the
Kafka floor measured in the same run.

Uses the engines named by TONGBAN_KAFKA_BOOTSTRAP / TONGBAN_POSTGRES_URL, else private ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import grpc
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from bench import kafka as bench_kafka
from bench.kit import kafka_for_bench, machine, postgres_for_bench
from bench.stack import bench_env, service_process
from cli.textout import Progress, percentile, table
from services.results.__main__ import MIGRATIONS
from services.results.projection import Projector, TimelineWriter
from services.shared import cloudevents, migrations
from services.shared.migrations import with_database
from tongban.events.v1 import events_pb2
from tongban.results.v1 import results_pb2, results_pb2_grpc

KINDS = [events_pb2.CaseQueued, events_pb2.QueuePositionChanged, events_pb2.WindowMediaStats]


async def copy_rate(url: str, rows: int, cases: int) -> float:
    """Raw asyncpg COPY of timeline rows: the ceiling for any projection into this table."""
    conn = await asyncpg.connect(url)
    progress = Progress(f"COPY {rows:,} timeline rows", rows)
    data = json.dumps({"case_id": "x", "position": 3})
    now = datetime.now(UTC)
    started = time.perf_counter()
    batch = 50_000
    case_ids = [str(uuid.uuid4()) for _ in range(cases)]
    for offset in range(0, rows, batch):
        records = [
            (
                uuid.uuid4(),
                case_ids[(offset + i) % cases],
                "tongban.events.v1.CaseQueued",
                "bench",
                now,
                "bench",
                0,
                offset + i,
                data,
            )
            for i in range(min(batch, rows - offset))
        ]
        await conn.copy_records_to_table(
            "timeline",
            records=records,
            columns=["event_id", "case_id", "type", "source", "time", "topic", "partition", "offset", "data"],
        )
        progress.advance(len(records))
    elapsed = time.perf_counter() - started
    await conn.execute("ANALYZE timeline")
    await conn.close()
    return rows / elapsed


def produce_events(bootstrap: str, topic: str, count: int, cases: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=512 * 1024)
    case_ids = [str(uuid.uuid4()) for _ in range(cases)]
    rng = random.Random(3)
    progress = Progress(f"produce {count:,} events", count)
    for i in range(count):
        case_id = case_ids[i % cases]
        event = rng.choice(KINDS)(case_id=case_id)
        key, value, headers = cloudevents.encode(cloudevents.stamp(event), source="bench", key=case_id)
        producer.send(topic, key=key, value=value, headers=headers)
        if i % 1000 == 999:
            progress.advance(1000)
    producer.flush()
    producer.close()
    progress.advance(count - progress.done)


async def projection_rate(url: str, bootstrap: str, count: int) -> float:
    topic = f"bench.results.{uuid.uuid4().hex[:6]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 6, 1)])
    admin.close()
    await asyncio.to_thread(produce_events, bootstrap, topic, count, max(1, count // 20))
    pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
    before = await pool.fetchval("SELECT count(*) FROM timeline")
    projector = Projector(
        TimelineWriter(pool, "bench"),
        bootstrap,
        [topic],
        group_id=f"bench-{uuid.uuid4().hex[:6]}",
        max_batch=5000,
    )
    progress = Progress(f"project {count:,} events", count)
    started = time.perf_counter()
    projector.start()
    done = 0
    while done < count:
        await asyncio.sleep(0.2)
        now_done = await pool.fetchval("SELECT count(*) FROM timeline") - before
        progress.advance(now_done - done)
        done = now_done
    elapsed = time.perf_counter() - started
    await projector.stop()
    await pool.close()
    return count / elapsed


async def timeline_latency(address: str, url: str, calls: int, concurrency: int) -> tuple[list[float], float]:
    conn = await asyncpg.connect(url)
    case_ids = [
        r["case_id"]
        for r in await conn.fetch("SELECT case_id FROM timeline TABLESAMPLE SYSTEM (1) LIMIT 2000")
    ]
    per_case = await conn.fetchval(
        "SELECT avg(n) FROM (SELECT count(*) n FROM timeline WHERE case_id = ANY($1) GROUP BY case_id) s",
        case_ids[:50],
    )
    await conn.close()
    latencies: list[float] = []
    progress = Progress(f"GetCaseTimeline x{calls:,}", calls)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = results_pb2_grpc.ResultsServiceStub(channel)
        queue = list(range(calls))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                started = time.perf_counter()
                await stub.GetCaseTimeline(
                    results_pb2.GetCaseTimelineRequest(case_id=case_ids[i % len(case_ids)])
                )
                latencies.append((time.perf_counter() - started) * 1000)
                progress.advance()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, float(per_case or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stored", type=int, default=1_000_000, help="events stored for reads")
    parser.add_argument("--projected", type=int, default=50_000, help="events through Kafka")
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with kafka_for_bench() as kafka, postgres_for_bench() as postgres:
        url = with_database(postgres, f"bench_results_{uuid.uuid4().hex[:6]}")
        asyncio.run(migrations.prepare(url, MIGRATIONS))
        floor = bench_kafka.measure(kafka, records=50_000, seconds=5)
        copy = asyncio.run(copy_rate(url, args.stored, args.stored // 20))
        projected = asyncio.run(projection_rate(url, kafka, args.projected))
        with service_process("services.results", bench_env(kafka, url)) as address:
            latencies, per_case = asyncio.run(timeline_latency(address, url, args.calls, 8))
    rows: list[list[object]] = [
        *floor.rows(),
        ["asyncpg COPY into timeline", f"{copy:,.0f} rows/s", ""],
        ["projection Kafka → PostgreSQL (dedupe, case state)", f"{projected:,.0f} events/s", ""],
        [
            f"GetCaseTimeline, {args.stored:,} events stored (~{per_case:.0f} per case), 8 clients",
            f"p50 {percentile(latencies, 50):.1f} ms",
            f"p99 {percentile(latencies, 99):.1f} ms",
        ],
    ]
    print(
        table(
            "Results (same machine, one broker, one PostgreSQL)",
            ["measure", "rate / p50", "throughput / p99"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
