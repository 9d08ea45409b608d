"""The results service's PostgreSQL: case rows (kept by the projection), decisions,
certificates, deliveries, ratings, rectifications, pauses; events through the outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg
from google.protobuf.message import Message

from services.shared import outbox
from services.shared.topics import Catalog

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
