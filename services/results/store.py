"""The results service's PostgreSQL: the timeline and case rows (kept by the projection),
decisions, certificates, deliveries, ratings, rectifications, pauses; events through the
outbox. All of the service's SQL is here; the rules that decide what to write are pure
modules (casefold.py, decisions.py, deadlines.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
from google.protobuf.message import Message

from services.results import casefold
from services.results.casefold import CaseState, Fact
from services.shared import outbox
from services.shared.topics import EVENTS_PACKAGE, Catalog

SOURCE = "results"


class ResultsStore:
    def __init__(self, pool: asyncpg.Pool, catalog: Catalog) -> None:
        self.pool = pool
        self.catalog = catalog

    async def emit(self, conn: asyncpg.Connection, *events: Message) -> None:
        for event in events:
            await outbox.enqueue(conn, self.catalog, event, source=SOURCE)

    async def case(
        self, case_id: str, conn: asyncpg.Connection | None = None, lock: bool = False
    ) -> asyncpg.Record | None:
        query = "SELECT * FROM cases WHERE case_id = $1" + (" FOR UPDATE" if lock else "")
        if conn is not None:
            return await conn.fetchrow(query, case_id)
        return await self.pool.fetchrow(query, case_id)

    async def last_decision(self, conn: asyncpg.Connection, case_id: str) -> asyncpg.Record | None:
        return await conn.fetchrow(
            "SELECT * FROM decisions WHERE case_id = $1 ORDER BY decided_at DESC, id DESC LIMIT 1", case_id
        )

    async def next_certificate_sequence(
        self, conn: asyncpg.Connection, province: str, issued_on: date
    ) -> int:
        return int(
            await conn.fetchval(
                "INSERT INTO certificate_sequences (province, issued_on, last) VALUES ($1, $2, 1)"
                " ON CONFLICT (province, issued_on) DO UPDATE SET last = certificate_sequences.last + 1"
                " RETURNING last",
                province,
                issued_on,
            )
        )

    async def timeline(self, case_id: str) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self.pool.fetch(
            "SELECT event_id::text, type, source, time, data::text FROM timeline"
            " WHERE case_id = $1 ORDER BY time, seq",
            case_id,
        )
        return rows

    async def search(self, filters: dict[str, Any], after: str | None, limit: int) -> list[asyncpg.Record]:
        conditions: list[str] = []
        args: list[Any] = []
        for column, value in filters.items():
            if value in ("", None):
                continue
            args.append(value)
            op = {"from_time": ">=", "to_time": "<"}.get(column, "=")
            name = "submitted_at" if column in {"from_time", "to_time"} else column
            conditions.append(f"{name} {op} ${len(args)}")
        if after:
            args.append(after)
            conditions.append(f"case_id > ${len(args)}")
        args.append(limit)
        where = " WHERE " + " AND ".join(conditions) if conditions else ""
        rows: list[asyncpg.Record] = await self.pool.fetch(
            f"SELECT * FROM cases{where} ORDER BY case_id LIMIT ${len(args)}", *args
        )
        return rows

    async def stats(self, filters: dict[str, str]) -> list[asyncpg.Record]:
        conditions = [f"c.{k} = ${i + 1}" for i, k in enumerate(k for k, v in filters.items() if v)]
        args = [v for v in filters.values() if v]
        where = " WHERE c.submitted_at IS NOT NULL" + "".join(f" AND {c}" for c in conditions)
        rows: list[asyncpg.Record] = await self.pool.fetch(
            f"""
            SELECT c.hall_province, c.target_province, c.matter_code,
                   count(*) AS volume,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
                       c.assigned_at - c.submitted_at)) AS median_wait,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM
                       c.assigned_at - c.submitted_at)) AS p90_wait,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
                       c.decided_at - c.assigned_at)) AS median_handling,
                   count(*) FILTER (WHERE c.outcome = 1)::float
                       / nullif(count(*) FILTER (WHERE c.outcome <> 0), 0) AS approval_rate,
                   count(*) FILTER (WHERE c.evaluation_level >= 3)::float
                       / nullif(count(*) FILTER (WHERE c.evaluation_level > 0), 0)
                       AS satisfaction_rate,
                   count(DISTINCT n.case_id) AS overdue
            FROM cases c LEFT JOIN deadline_notices n ON n.case_id = c.case_id AND n.kind = 'overdue'
            {where}
            GROUP BY 1, 2, 3 ORDER BY volume DESC, 1, 2, 3""",
            *args,
        )
        return rows

    async def open_deadlines(self) -> list[asyncpg.Record]:
        """Cases whose statutory clock runs: accepted, not yet decided or closed."""
        rows: list[asyncpg.Record] = await self.pool.fetch(
            "SELECT c.case_id, c.submitted_at, c.time_limit_days, c.due_date,"
            " coalesce(array_agg(p.started_on ORDER BY p.started_on)"
            "   FILTER (WHERE p.started_on IS NOT NULL), '{}') AS starts,"
            " coalesce(array_agg(p.ended_on ORDER BY p.started_on)"
            "   FILTER (WHERE p.started_on IS NOT NULL), '{}') AS ends"
            " FROM cases c LEFT JOIN pauses p ON p.case_id = c.case_id"
            " WHERE c.submitted_at IS NOT NULL AND c.time_limit_days > 0"
            " AND c.status IN ('SUBMITTED', 'QUEUED', 'RESERVED', 'ASSIGNED', 'IN_WINDOW',"
            " 'SUPPLEMENT_REQUESTED') GROUP BY c.case_id"
        )
        return rows

    async def notice_once(self, conn: asyncpg.Connection, case_id: str, kind: str, due: date) -> bool:
        return (
            await conn.fetchval(
                "INSERT INTO deadline_notices (case_id, kind, due_date) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING RETURNING true",
                case_id,
                kind,
                due,
            )
            is not None
        )


def as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


# ---------------------------------------------------------------- the projection's tables

# One timeline row: event id, case id, full type, source, time, topic, partition, offset,
# the event as JSON.
TimelineRow = tuple[str, str, str, str, datetime, str, int, int, str]
SKIPPED_TYPES = sorted(f"{EVENTS_PACKAGE}.{kind}" for kind in casefold.SKIPPED)
SQL_TYPES = {str: "text", int: "int", type(None): "timestamptz"}
CASE_COLUMNS = list(casefold.COLUMNS)
CASE_TYPES = ["text", "text"] + [SQL_TYPES[type(casefold.COLUMNS[c])] for c in CASE_COLUMNS]
SAVE_CASES = (
    f"INSERT INTO cases (case_id, status, {', '.join(CASE_COLUMNS)})"
    f" SELECT * FROM unnest({', '.join(f'${i + 1}::{t}[]' for i, t in enumerate(CASE_TYPES))})"
    f" ON CONFLICT (case_id) DO UPDATE SET"
    f" {', '.join(f'{c} = excluded.{c}' for c in ['status', *CASE_COLUMNS])}, updated_at = now()"
    f" WHERE (cases.status, cases.{', cases.'.join(CASE_COLUMNS)})"
    f" IS DISTINCT FROM (excluded.status, excluded.{', excluded.'.join(CASE_COLUMNS)})"
)


async def stored_offsets(pool: asyncpg.Pool, consumer: str) -> dict[tuple[str, int], int]:
    """Where `consumer` stands: the next offset of each partition it has read."""
    rows = await pool.fetch(
        "SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer = $1", consumer
    )
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


async def save_offsets(
    conn: asyncpg.Connection, consumer: str, next_offsets: Mapping[tuple[str, int], int]
) -> None:
    await conn.executemany(
        "INSERT INTO consumer_offsets (consumer, topic, partition, next_offset)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (consumer, topic, partition)"
        " DO UPDATE SET next_offset = excluded.next_offset",
        [(consumer, t, p, o) for (t, p), o in next_offsets.items()],
    )


async def insert_events(conn: asyncpg.Connection, rows: Sequence[TimelineRow]) -> set[str]:
    """Adds the events not in the timeline yet; returns the ids of those it added."""
    if not rows:
        return set()
    columns = list(zip(*rows, strict=True))
    inserted = await conn.fetch(
        "INSERT INTO timeline (event_id, case_id, type, source, time, topic, partition,"
        ' "offset", data) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[],'
        " $4::text[], $5::timestamptz[], $6::text[], $7::int[], $8::bigint[],"
        " $9::jsonb[]) ON CONFLICT (event_id) DO NOTHING RETURNING event_id::text",
        *[list(c) for c in columns],
    )
    return {r["event_id"] for r in inserted}


async def case_facts(conn: asyncpg.Connection, case_ids: Sequence[str]) -> dict[str, list[Fact]]:
    """Every stored event of the cases that the fold does not skip."""
    rows = await conn.fetch(
        'SELECT event_id::text, case_id, type, time, topic, partition, "offset", data::text'
        " FROM timeline WHERE case_id = ANY($1::text[]) AND type <> ALL($2::text[])",
        list(case_ids),
        SKIPPED_TYPES,
    )
    facts: dict[str, list[Fact]] = {case_id: [] for case_id in case_ids}
    for r in rows:
        facts[r["case_id"]].append(
            Fact(
                r["event_id"],
                r["type"].rsplit(".", 1)[-1],
                r["time"],
                r["topic"],
                r["partition"],
                r["offset"],
                json.loads(r["data"]),
            )
        )
    return facts


async def save_cases(conn: asyncpg.Connection, states: Mapping[str, CaseState]) -> None:
    """The case rows as folded, in one statement; a row the fold left as it was is not
    touched (its updated_at stays)."""
    if not states:
        return
    ids = sorted(states)  # a fixed order: two writers never wait on each other's rows
    await conn.execute(
        SAVE_CASES,
        ids,
        [states[c].status for c in ids],
        *[[states[c].columns[name] for c in ids] for name in CASE_COLUMNS],
    )


async def save_anomalies(conn: asyncpg.Connection, states: Mapping[str, CaseState]) -> None:
    """The cases' anomalies become those of their fold: new ones added, ones a later-read
    event explained away removed."""
    if not states:
        return
    found = [(c, e, d) for c, state in states.items() for e, d in state.anomalies]
    await conn.execute(
        "DELETE FROM anomalies a WHERE a.case_id = ANY($1::text[]) AND NOT EXISTS ("
        " SELECT 1 FROM unnest($2::uuid[], $3::text[]) AS f(event_id, description)"
        " WHERE f.event_id = a.event_id AND f.description = a.description)",
        list(states),
        [e for _, e, _ in found],
        [d for _, _, d in found],
    )
    if found:
        await conn.execute(
            "INSERT INTO anomalies (case_id, event_id, description)"
            " SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[])"
            " ON CONFLICT (event_id, description) DO NOTHING",
            [c for c, _, _ in found],
            [e for _, e, _ in found],
            [d for _, _, d in found],
        )


async def end_pauses(conn: asyncpg.Connection, supplied: Mapping[str, date]) -> None:
    """补正 materials arrived: the statutory clock runs again from that day. Only a pause
    still open ends (RecordDecision opened it in the decision's transaction)."""
    if not supplied:
        return
    await conn.execute(
        "UPDATE pauses p SET ended_on = s.ended_on FROM unnest($1::text[], $2::date[])"
        " AS s(case_id, ended_on) WHERE p.case_id = s.case_id AND p.ended_on IS NULL",
        list(supplied),
        list(supplied.values()),
    )
