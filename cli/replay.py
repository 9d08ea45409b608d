"""`tongban replay`: rebuilds the results projection from the Kafka topics, from their
earliest offsets, into a fresh PostgreSQL schema of the results database, then compares it
with the live projection.

Why a schema and not a database: the results migrations and the projection use unqualified
table names, so a pool whose connections set `search_path` to the new schema runs the
service's own code (services.results.projection) unchanged; both projections then sit in
one database, so the comparison is one query; and operators who already hold the results
database's credentials need no right to create databases. The live tables are never
written: the rebuild has its own consumer group, its own offsets (in its schema) and leaves
the dead-letter topic alone (the live projection parked those records already).

Only what the topics still hold can be rebuilt (retention is 180 days), so events per case
are compared over the same records: those between the earliest offsets and the ends the
topics had when the replay started. Statuses are compared for the cases all of whose events,
live and rebuilt, lie inside those bounds (a case that moved on after the replay started,
or whose oldest events have expired, cannot be expected to match). Either difference is a
mismatch, reported with a non-zero exit.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from kafka import KafkaConsumer, TopicPartition

from cli.textout import Progress
from services.results.__main__ import MIGRATIONS
from services.results.projection import CONSUMER, Projector, TimelineWriter
from services.shared import migrations, topics

SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
REPLAY_CONSUMER = "results-replay"


class ReplayError(Exception):
    pass


@dataclass(frozen=True)
class Bounds:
    """Per partition: the first offset the topic still holds and its end at the start."""

    first: dict[tuple[str, int], int]
    end: dict[tuple[str, int], int]

    @property
    def records(self) -> int:
        return sum(self.end[p] - self.first[p] for p in self.end)

    def read(self, next_offsets: dict[tuple[str, int], int]) -> int:
        return sum(
            min(max(next_offsets.get(p, self.first[p]), self.first[p]), self.end[p]) - self.first[p]
            for p in self.end
        )

    def reached(self, next_offsets: dict[tuple[str, int], int]) -> bool:
        return all(self.end[p] <= self.first[p] or next_offsets.get(p, 0) >= self.end[p] for p in self.end)


@dataclass
class ReplayReport:
    schema: str
    records: int
    poison: int
    events: int
    cases: int
    live_events: int
    live_caught_up: bool
    compared_cases: int
    differing: list[tuple[str, int, int]]  # case id, live events, rebuilt events
    status_compared: int
    status_differing: list[tuple[str, str, str]]  # case id, live status, rebuilt status
    elapsed_s: float
    per_case: dict[str, tuple[int, int]] = field(default_factory=dict)  # asked-for cases

    @property
    def matches(self) -> bool:
        return self.live_caught_up and not self.differing and not self.status_differing

    @property
    def exit_code(self) -> int:
        """0 when the rebuild matches the live projection, 1 when it does not."""
        return 0 if self.matches else 1

    def rows(self) -> list[list[object]]:
        rate = self.records / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return [
            ["schema", self.schema],
            ["records read", self.records],
            ["poison records skipped", self.poison],
            ["events rebuilt", self.events],
            ["cases rebuilt", self.cases],
            ["live events (same records)", self.live_events],
            ["cases compared", self.compared_cases],
            ["cases whose event counts differ", len(self.differing)],
            ["cases whose status was compared", self.status_compared],
            ["cases whose status differs", len(self.status_differing)],
            ["elapsed", f"{self.elapsed_s:.1f} s ({rate:,.0f} records/s)"],
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "records": self.records,
            "poison": self.poison,
            "events": self.events,
            "cases": self.cases,
            "live_events": self.live_events,
            "live_caught_up": self.live_caught_up,
            "compared_cases": self.compared_cases,
            "differing": [{"case_id": c, "live": lv, "rebuilt": rb} for c, lv, rb in self.differing],
            "status_compared": self.status_compared,
            "status_differing": [
                {"case_id": c, "live": lv, "rebuilt": rb} for c, lv, rb in self.status_differing
            ],
            "matches": self.matches,
            "elapsed_s": round(self.elapsed_s, 2),
            "cases_asked": {c: {"live": lv, "rebuilt": rb} for c, (lv, rb) in self.per_case.items()},
        }


def default_schema() -> str:
    return f"results_replay_{datetime.now(UTC):%Y%m%d_%H%M%S}"


def topic_bounds(bootstrap: str, names: list[str]) -> Bounds:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        partitions = [TopicPartition(n, p) for n in names for p in consumer.partitions_for_topic(n) or ()]
        first = consumer.beginning_offsets(partitions)
        end = consumer.end_offsets(partitions)
    finally:
        consumer.close()
    return Bounds(
        {(tp.topic, tp.partition): o for tp, o in first.items()},
        {(tp.topic, tp.partition): o for tp, o in end.items()},
    )


async def stored_offsets(conn: asyncpg.Connection, table: str, consumer: str) -> dict[tuple[str, int], int]:
    rows = await conn.fetch(
        f"SELECT topic, partition, next_offset FROM {table} WHERE consumer = $1", consumer
    )
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


async def create_schema(database_url: str, schema: str) -> asyncpg.Pool:
    """The schema, the results migrations applied inside it, and a pool that sees only it."""
    if not SCHEMA_NAME.fullmatch(schema):
        raise ReplayError(f"schema names are lower-case letters, digits and _: {schema!r}")
    admin = await asyncpg.connect(database_url)
    try:
        if await admin.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
            raise ReplayError(f"schema {schema} exists already; choose another with --schema")
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await admin.close()
    pool: asyncpg.Pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=4, server_settings={"search_path": schema}
    )
    async with pool.acquire() as conn:
        await migrations.migrate(conn, migrations.discover(MIGRATIONS))
    return pool


async def drop_schema(database_url: str, schema: str) -> None:
    if not SCHEMA_NAME.fullmatch(schema) or schema == "public":
        raise ReplayError(f"refusing to drop schema {schema!r}")
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def rebuild(
    pool: asyncpg.Pool,
    schema: str,
    bootstrap: str,
    bounds: Bounds,
    show_progress: bool = True,
    namespace: str = "",
) -> int:
    """Runs the service's projector into the schema until it has read up to the bounds;
    returns how many poison records it skipped."""
    projector = Projector(
        TimelineWriter(pool, REPLAY_CONSUMER),
        bootstrap,
        sorted({t for t, _ in bounds.end}),
        group_id=topics.namespaced(namespace, f"tongban-results-replay-{schema}"),
        park_poison=False,
    )
    progress = Progress(f"replay into {schema}", bounds.records) if show_progress else None
    projector.start()
    try:
        async with pool.acquire() as conn:
            while True:
                offsets = await stored_offsets(conn, "consumer_offsets", REPLAY_CONSUMER)
                if progress is not None:
                    progress.advance(bounds.read(offsets) - progress.done)
                if bounds.reached(offsets):
                    return projector.poison
                thread = projector._thread
                if thread is not None and not thread.is_alive():
                    raise ReplayError("the projection stopped on an error (see the log above)")
                await asyncio.sleep(0.3)
    finally:
        await projector.stop()


BOUNDS_SQL = """
        WITH bounds AS (
            SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[])
                AS b(topic, partition, first_offset, end_offset))"""


def compare_sql(schema: str) -> str:
    return f"""{BOUNDS_SQL},
        live AS (
            SELECT t.case_id, count(*) AS n FROM public.timeline t JOIN bounds b
              ON b.topic = t.topic AND b.partition = t.partition
             AND t."offset" >= b.first_offset AND t."offset" < b.end_offset
            GROUP BY t.case_id),
        rebuilt AS (
            SELECT t.case_id, count(*) AS n FROM "{schema}".timeline t JOIN bounds b
              ON b.topic = t.topic AND b.partition = t.partition
             AND t."offset" >= b.first_offset AND t."offset" < b.end_offset
            GROUP BY t.case_id)
        SELECT coalesce(l.case_id, r.case_id) AS case_id, coalesce(l.n, 0) AS live,
               coalesce(r.n, 0) AS rebuilt
        FROM live l FULL JOIN rebuilt r ON r.case_id = l.case_id"""


def status_sql(schema: str) -> str:
    """Live and rebuilt status of the cases whose every event, on both sides, lies inside
    the bounds."""
    outside = """
            SELECT t.case_id FROM {table} t LEFT JOIN bounds b
              ON b.topic = t.topic AND b.partition = t.partition
             AND t."offset" >= b.first_offset AND t."offset" < b.end_offset
             WHERE b.topic IS NULL"""
    return f"""{BOUNDS_SQL},
        outside AS ({outside.format(table="public.timeline")}
            UNION {outside.format(table=f'"{schema}".timeline')})
        SELECT l.case_id, l.status AS live, r.status AS rebuilt
        FROM public.cases l JOIN "{schema}".cases r USING (case_id)
        WHERE l.case_id NOT IN (SELECT case_id FROM outside)
        ORDER BY l.case_id"""


@dataclass(frozen=True)
class Comparison:
    counts: dict[str, tuple[int, int]]  # case id → events live, rebuilt
    statuses: list[tuple[str, str, str]]  # case id, live status, rebuilt status
    live_caught_up: bool


async def compare(
    database_url: str, schema: str, bounds: Bounds, case_ids: list[str], wait_live_s: float
) -> Comparison:
    """Events per case, live and rebuilt, over the same records; the statuses of the cases
    wholly inside the bounds; whether the live projection had read as far (waited for up to
    wait_live_s)."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "public"})
    try:
        deadline = time.monotonic() + wait_live_s
        while True:
            live_caught_up = bounds.reached(await stored_offsets(conn, "public.consumer_offsets", CONSUMER))
            if live_caught_up or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        keys = sorted(bounds.end)
        arrays = (
            [t for t, _ in keys],
            [p for _, p in keys],
            [bounds.first[k] for k in keys],
            [bounds.end[k] for k in keys],
        )
        rows = await conn.fetch(compare_sql(schema), *arrays)
        counts = {r["case_id"]: (r["live"], r["rebuilt"]) for r in rows}
        statuses = [
            (r["case_id"], r["live"], r["rebuilt"]) for r in await conn.fetch(status_sql(schema), *arrays)
        ]
        for case_id in case_ids:
            counts.setdefault(case_id, (0, 0))
        return Comparison(counts, statuses, live_caught_up)
    finally:
        await conn.close()


async def replay(
    database_url: str,
    bootstrap: str,
    schema: str | None = None,
    case_ids: list[str] | None = None,
    drop: bool = False,
    show_progress: bool = True,
    wait_live_s: float = 30,
    topic_names: list[str] | None = None,
    namespace: str = "",
) -> ReplayReport:
    """`topic_names`: the topics the live projection reads (default: the catalog's event
    topics)."""
    schema = schema or default_schema()
    if not SCHEMA_NAME.fullmatch(schema):
        raise ReplayError(f"schema names are lower-case letters, digits and _: {schema!r}")
    started = time.monotonic()
    names = topic_names or topics.load(namespace=namespace).event_topics()
    bounds = await asyncio.to_thread(topic_bounds, bootstrap, names)
    pool = await create_schema(database_url, schema)
    try:
        poison = await rebuild(pool, schema, bootstrap, bounds, show_progress, namespace)
        events = int(await pool.fetchval("SELECT count(*) FROM timeline"))
        cases = int(await pool.fetchval("SELECT count(*) FROM cases"))
    finally:
        await pool.close()
    elapsed = time.monotonic() - started
    try:
        found = await compare(database_url, schema, bounds, case_ids or [], wait_live_s)
    finally:
        if drop:
            await drop_schema(database_url, schema)
    counts = found.counts
    return ReplayReport(
        schema,
        bounds.records,
        poison,
        events,
        cases,
        sum(lv for lv, _ in counts.values()),
        found.live_caught_up,
        len(counts),
        sorted((c, lv, rb) for c, (lv, rb) in counts.items() if lv != rb),
        len(found.statuses),
        [(c, lv, rb) for c, lv, rb in found.statuses if lv != rb],
        elapsed,
        {c: counts[c] for c in case_ids or []},
    )
