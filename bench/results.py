"""`make bench-results`: what the results projection costs per event, and what
GetCaseTimeline takes, as the stored events grow: at a base size, 10× and 100× it. Flat is
the goal: the projection refolds only the cases a batch touches, from their own events
(casefold.py), and a timeline is read by its case's index.

For each size the timeline is filled (asyncpg COPY) with whole journeys of 22 events, their
case rows beside them; then the same number of fresh journeys goes through Kafka into the
service's projection (decode, dedupe, refold, offsets in the same transaction), and a real
results process answers GetCaseTimeline for random stored cases with 8 concurrent clients.
Floors, measured in the same run: kafka-python reading the very records the projection read
(no decoding, nothing written), and the health check of the same results process (a gRPC
call that touches no database).

Uses the engines named by TONGBAN_KAFKA_BOOTSTRAP / TONGBAN_POSTGRES_URL, else private ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from bench.kit import kafka_for_bench, machine, postgres_for_bench
from bench.stack import bench_env, service_process
from cli.textout import Progress, percentile, table
from services.results import casefold, store
from services.results.__main__ import MIGRATIONS
from services.results.casefold import Fact
from services.results.projection import Projector, TimelineWriter
from services.shared import cloudevents, migrations, topics
from services.shared.migrations import with_database
from tongban.events.v1 import events_pb2 as E
from tongban.results.v1 import results_pb2, results_pb2_grpc
from tongban.types.v1 import types_pb2

PLACEHOLDER = "00000000-0000-4000-8000-000000000000"
START = datetime(2025, 1, 6, 9, tzinfo=UTC)  # stored journeys all happened on this morning
BENCH_CONSUMER = "bench"


def journey(case_id: str) -> list[Message]:
    """One approved case, as the services emit it: 22 events on the four topics."""
    return [
        E.ApplicationCreated(
            case_id=case_id,
            hall_id="hall-340104-01",
            hall_province="340000",
            target_province="310000",
            matter_code="HF-TRANSFER",
            department="housing_fund",
            applicant=types_pb2.MaskedApplicant(
                name="张*", id_number="340104********123X", phone="138****5678", pseudonym="p" * 32
            ),
        ),
        E.MaterialUploaded(case_id=case_id, material_code="id_card", size=200_000, sha256="a" * 64),
        E.MaterialUploaded(case_id=case_id, material_code="new_account", size=200_000, sha256="b" * 64),
        E.ApplicationSubmitted(case_id=case_id, target_province="310000", time_limit_working_days=5),
        E.CaseQueued(case_id=case_id, province="310000", department="housing_fund"),
        E.QueuePositionChanged(case_id=case_id, province="310000", position=3),
        E.QueuePositionChanged(case_id=case_id, province="310000", position=1),
        E.CaseReserved(case_id=case_id, province="310000", official_id="sh-official-1"),
        E.ReservationAccepted(case_id=case_id, province="310000", official_id="sh-official-1"),
        E.CaseAssigned(case_id=case_id, province="310000", official_id="sh-official-1"),
        E.WindowOpened(case_id=case_id),
        E.WindowPartyJoined(case_id=case_id),
        E.WindowPartyJoined(case_id=case_id),
        E.WindowConnected(case_id=case_id),
        E.WindowMediaStats(case_id=case_id),
        E.WindowMediaStats(case_id=case_id),
        E.DecisionRecorded(case_id=case_id, outcome=types_pb2.DECISION_OUTCOME_APPROVED),
        E.WindowClosed(case_id=case_id, reason="completed"),
        E.ResultIssued(case_id=case_id, method=types_pb2.DELIVERY_METHOD_E_CERTIFICATE),
        E.ResultDelivered(case_id=case_id, method=types_pb2.DELIVERY_METHOD_E_CERTIFICATE),
        E.EvaluationSubmitted(case_id=case_id, level=5),
        E.CaseClosed(case_id=case_id, outcome=types_pb2.DECISION_OUTCOME_APPROVED),
    ]


EVENTS_PER_CASE = len(journey(PLACEHOLDER))


@dataclass(frozen=True)
class Template:
    """A journey's timeline rows and case row with a placeholder for the case id: filling
    millions of rows costs a string replace each, not a protobuf-to-JSON conversion."""

    events: list[tuple[str, str, str, str]]  # full type, source, topic, JSON data
    case_row: list[object]  # status, then store.CASE_COLUMNS (times relative to START)

    @staticmethod
    def make() -> Template:
        catalog = topics.load()
        start = START
        events: list[tuple[str, str, str, str]] = []
        facts: list[Fact] = []
        for i, event in enumerate(journey(PLACEHOLDER)):
            topic = catalog.topic_for_event(event.DESCRIPTOR.full_name).name
            envelope = cloudevents.Envelope(str(i), event.DESCRIPTOR.full_name, "bench", start, "", event)
            data = envelope.to_json()
            events.append((event.DESCRIPTOR.full_name, "bench", topic, data))
            at = start + timedelta(seconds=i)
            facts.append(Fact(str(i), envelope.short_type, at, topic, 0, i, json.loads(data)))
        state = casefold.fold(facts)
        return Template(events, [state.status, *(state.columns[c] for c in store.CASE_COLUMNS)])


async def fill_timeline(url: str, target: int, template: Template) -> list[str]:
    """Adds whole journeys (COPY) until the timeline holds at least `target` events;
    returns some stored case ids (for the timeline reads)."""
    conn = await asyncpg.connect(url)
    held = int(await conn.fetchval("SELECT count(*) FROM timeline"))
    cases = max(0, -(-(target - held) // EVENTS_PER_CASE))
    progress = Progress(f"COPY {cases * EVENTS_PER_CASE:,} events ({target:,} stored)", cases)
    sample: list[str] = []
    times = [START + timedelta(seconds=i) for i in range(EVENTS_PER_CASE)]  # as in the template
    batch = 2_000  # cases a COPY
    for first in range(0, cases, batch):
        ids = [str(uuid.uuid4()) for _ in range(min(batch, cases - first))]
        sample += ids[:5]
        rows = [
            (uuid.uuid4(), case_id, kind, source, times[i], topic, 0, i, data.replace(PLACEHOLDER, case_id))
            for case_id in ids
            for i, (kind, source, topic, data) in enumerate(template.events)
        ]
        await conn.copy_records_to_table(
            "timeline",
            records=rows,
            columns=["event_id", "case_id", "type", "source", "time", "topic", "partition", "offset", "data"],
        )
        await conn.copy_records_to_table(
            "cases",
            records=[(case_id, *template.case_row) for case_id in ids],
            columns=["case_id", "status", *store.CASE_COLUMNS],
        )
        progress.advance(len(ids))
    await conn.execute("ANALYZE timeline; ANALYZE cases")
    if not sample:
        sample = [r["case_id"] for r in await conn.fetch("SELECT case_id FROM cases LIMIT 2000")]
    await conn.close()
    return sample


def interleaved(cases: int) -> Iterator[Message]:
    """Fresh journeys as live traffic brings them: every case a step at a time, in turn."""
    journeys = [journey(str(uuid.uuid4())) for _ in range(cases)]
    for step in range(EVENTS_PER_CASE):
        for events in journeys:
            yield events[step]


def produce(bootstrap: str, topic: str, cases: int) -> int:
    catalog = topics.load()
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=512 * 1024)
    total = cases * EVENTS_PER_CASE
    progress = Progress(f"produce {total:,} events", total)
    for i, event in enumerate(interleaved(cases)):
        key = str(getattr(event, catalog.topic_for_event(event.DESCRIPTOR.full_name).key))
        raw_key, value, headers = cloudevents.encode(cloudevents.stamp(event), source="bench", key=key)
        producer.send(topic, key=raw_key, value=value, headers=headers)
        if i % 1000 == 999:
            progress.advance(1000)
    producer.flush()
    producer.close()
    progress.advance(total - progress.done)
    return total


def new_topic(bootstrap: str) -> str:
    name = f"bench.results.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(name, 6, 1)])
    admin.close()
    return name


def raw_read_rate(bootstrap: str, topic: str, count: int) -> float:
    """The floor: kafka-python reading the records the projection reads, decoding nothing."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        fetch_max_bytes=50 * 2**20,
        consumer_timeout_ms=10_000,
    )
    progress = Progress("read the same records raw", count)
    seen, started = 0, 0.0
    for _ in consumer:
        if seen == 0:
            started = time.perf_counter()  # from the first record: excludes the set-up
        seen += 1
        if seen % 1000 == 0:
            progress.advance(1000)
        if seen >= count:
            break
    elapsed = time.perf_counter() - started
    consumer.close()
    progress.advance(count - progress.done)
    return seen / elapsed if elapsed > 0 else 0.0


async def projection_rate(url: str, bootstrap: str, topic: str, count: int) -> float:
    """Events a second the service's projection stores, refolding each case it touches."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    projector = Projector(
        TimelineWriter(pool, BENCH_CONSUMER), bootstrap, [topic], group_id=f"bench-{uuid.uuid4().hex[:6]}"
    )
    progress = Progress(f"project {count:,} events", count)
    done = 0
    first: tuple[float, int] | None = None  # when the first batch was stored, and its size
    started = time.perf_counter()
    projector.start()
    try:
        while done < count:
            await asyncio.sleep(0.1)
            read = sum((await store.stored_offsets(pool, BENCH_CONSUMER)).values())
            progress.advance(read - done)
            done = read
            if first is None and done:
                first = (time.perf_counter(), done)  # from here: excludes the group's set-up
            thread = projector._thread
            if thread is not None and not thread.is_alive():
                raise RuntimeError("the projection stopped on an error")
        assert first is not None
        if first[1] == count:  # all in one batch: nothing to time it by but the whole run
            return count / (time.perf_counter() - started)
        return (count - first[1]) / (time.perf_counter() - first[0])
    finally:
        await projector.stop()
        await pool.execute("DELETE FROM consumer_offsets WHERE consumer = $1", BENCH_CONSUMER)
        await pool.close()


async def read_latencies(
    address: str, case_ids: Sequence[str], calls: int
) -> tuple[list[float], list[float]]:
    """GetCaseTimeline for random stored cases, and the empty-call floor (the health check
    of the same process), each with 8 concurrent clients; milliseconds."""
    rng = random.Random(7)
    async with grpc.aio.insecure_channel(address) as channel:
        results = results_pb2_grpc.ResultsServiceStub(channel)
        health = health_pb2_grpc.HealthStub(channel)

        async def timed(label: str, call: object) -> list[float]:
            latencies: list[float] = []
            progress = Progress(label, calls)
            left = list(range(calls))

            async def client() -> None:
                while left:
                    left.pop()
                    began = time.perf_counter()
                    await call()  # type: ignore[operator]
                    latencies.append((time.perf_counter() - began) * 1000)
                    progress.advance()

            await asyncio.gather(*(client() for _ in range(8)))
            return latencies

        async def timeline() -> None:
            await results.GetCaseTimeline(results_pb2.GetCaseTimelineRequest(case_id=rng.choice(case_ids)))

        async def check() -> None:
            await health.Check(health_pb2.HealthCheckRequest())

        return await timed("GetCaseTimeline", timeline), await timed("health check", check)


@dataclass(frozen=True)
class SizeFigures:
    stored: int
    projected_per_s: float
    raw_read_per_s: float
    timeline_ms: list[float]
    empty_call_ms: list[float]

    @property
    def us_per_event(self) -> float:
        return 1e6 / self.projected_per_s


def growth_rows(figures: Sequence[SizeFigures]) -> list[list[object]]:
    base = figures[0]
    rows: list[list[object]] = []
    for f in figures:
        rows.append(
            [
                f"{f.stored:,}",
                f"{f.projected_per_s:,.0f}/s",
                f"{f.us_per_event:,.0f} µs",
                f"{f.us_per_event / base.us_per_event:.2f}×",
                f"{f.projected_per_s / f.raw_read_per_s:.0%}",
                f"{percentile(f.timeline_ms, 50):.1f} / {percentile(f.timeline_ms, 99):.1f} ms",
                f"{percentile(f.timeline_ms, 99) / percentile(base.timeline_ms, 99):.2f}×",
                f"{percentile(f.empty_call_ms, 50):.1f} / {percentile(f.empty_call_ms, 99):.1f} ms",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=int, default=100_000, help="events stored at 1×")
    parser.add_argument("--scales", default="1,10,100", help="multiples of --base to measure at")
    parser.add_argument("--cases", type=int, default=1_000, help="fresh journeys projected per size")
    parser.add_argument("--calls", type=int, default=3_000, help="GetCaseTimeline calls per size")
    args = parser.parse_args()
    scales = sorted({int(s) for s in args.scales.split(",")})
    print(f"machine: {machine()}")
    template = Template.make()
    figures: list[SizeFigures] = []
    with kafka_for_bench() as kafka, postgres_for_bench() as postgres:
        url = with_database(postgres, f"bench_results_{uuid.uuid4().hex[:6]}")
        asyncio.run(migrations.prepare(url, MIGRATIONS))
        with service_process("services.results", bench_env(kafka, url)) as address:
            for scale in scales:
                stored = args.base * scale
                sample = asyncio.run(fill_timeline(url, stored, template))
                topic = new_topic(kafka)
                count = produce(kafka, topic, args.cases)
                raw = raw_read_rate(kafka, topic, count)
                rate = asyncio.run(projection_rate(url, kafka, topic, count))
                timeline, empty = asyncio.run(read_latencies(address, sample, args.calls))
                figures.append(SizeFigures(stored, rate, raw, timeline, empty))
    print(
        table(
            f"Results projection and GetCaseTimeline as the stored events grow"
            f" ({args.cases * EVENTS_PER_CASE:,} events projected per size, 8 clients)",
            [
                "events stored",
                "projected",
                "per event",
                "vs 1×",
                "of raw read",
                "GetCaseTimeline p50 / p99",
                "p99 vs 1×",
                "floor: empty call p50 / p99",
            ],
            growth_rows(figures),
        )
    )
    print(
        "  raw read: kafka-python reading the same records, nothing decoded or written"
        f" ({', '.join(f'{f.raw_read_per_s:,.0f}/s' for f in figures)})"
    )


if __name__ == "__main__":
    main()
