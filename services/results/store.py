"""The results service's PostgreSQL: the timeline and case rows (kept by the projection),
decisions, certificates, deliveries, ratings, rectifications, pauses; events through the
outbox. All of the service's SQL is here; the rules that decide what to write are pure
modules (casefold.py, decisions.py, deadlines.py)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
from google.protobuf.message import Message

from services.results import casefold
from services.results.casefold import CaseState, Fact
from services.results.certificate import CertificateFields
from services.results.decisions import CaseView
from services.shared import outbox
from services.shared.topics import EVENTS_PACKAGE, Catalog

SOURCE = "results"


# Cases nobody is responsible for: IN_WINDOW, their last window closed after it connected,
# and no decision recorded since the assignment (the decisions table, written before the
# decision's event is sent, so a decision not yet read back by the projection does not
# count as missing). An official whose decision failed and who closed the window leaves
# such a case; routing's case.returned puts it back in the queue, and it leaves this list.
UNATTENDED = """
    SELECT c.case_id, coalesce(w.event_id::text, '') AS event_id,
           'IN_WINDOW, but its window closed at ' || to_char(c.window_closed_at AT TIME ZONE 'UTC',
           'YYYY-MM-DD HH24:MI:SS') || ' UTC with no decision recorded: nobody is responsible'
           AS description, c.window_closed_at AS recorded_at
    FROM cases c
    LEFT JOIN LATERAL (SELECT t.event_id FROM timeline t WHERE t.case_id = c.case_id AND t.type = $2
                       ORDER BY t.time DESC, t.seq DESC LIMIT 1) w ON true
    WHERE c.status = 'IN_WINDOW' AND c.window_closed_at >= c.connected_at
      AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.case_id = c.case_id
                      AND d.decided_at >= coalesce(c.assigned_at, c.connected_at))"""


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

    async def record_decision(
        self,
        conn: asyncpg.Connection,
        case_id: str,
        request: Any,
        delivery_method: int,
        mail_address_enc: bytes | None,
    ) -> None:
        """`request`: the RecordDecisionRequest, as checked by decisions.py."""
        await conn.execute(
            "INSERT INTO decisions (case_id, official_id, province, outcome, result_kind,"
            " reason_code, legal_basis, supplements, transfer_to, delivery_method,"
            " mail_address_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            case_id,
            request.official_id,
            request.province,
            request.outcome,
            request.result_kind,
            request.reason_code,
            request.legal_basis,
            list(request.supplements),
            request.transfer_to,
            delivery_method,
            mail_address_enc,
        )

    async def open_pause(self, conn: asyncpg.Connection, case_id: str, started_on: date) -> None:
        await conn.execute(
            "INSERT INTO pauses (case_id, started_on) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            case_id,
            started_on,
        )

    async def save_certificate(
        self, conn: asyncpg.Connection, fields: CertificateFields, digest: str, pdf: bytes
    ) -> None:
        await conn.execute(
            "INSERT INTO certificates (number, case_id, matter_code, matter_zh, matter_en,"
            " holder_masked, holder_id_masked, province, province_zh, issued_on, hash, pdf)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            fields.number,
            fields.case_id,
            fields.matter_code,
            fields.matter_zh,
            fields.matter_en,
            fields.holder_masked,
            fields.holder_id_masked,
            fields.province,
            fields.province_zh,
            fields.issued_on,
            digest,
            pdf,
        )

    async def certificate_by_number(self, number: str) -> tuple[CertificateFields, str] | None:
        """The certificate's fields and its verification hash."""
        row = await self.pool.fetchrow("SELECT * FROM certificates WHERE number = $1", number)
        if row is None:
            return None
        names = [f.name for f in dataclasses.fields(CertificateFields)]
        return CertificateFields(**{n: row[n] for n in names}), row["hash"]

    async def certificate_of_case(self, case_id: str) -> asyncpg.Record | None:
        """Its number and PDF."""
        row: asyncpg.Record | None = await self.pool.fetchrow(
            "SELECT number, pdf FROM certificates WHERE case_id = $1", case_id
        )
        return row

    async def open_delivery(self, conn: asyncpg.Connection, case_id: str, method: int, hall_id: str) -> None:
        await conn.execute(
            "INSERT INTO deliveries (case_id, method, hall_id) VALUES ($1, $2, $3)"
            " ON CONFLICT (case_id) DO NOTHING",
            case_id,
            method,
            hall_id,
        )

    async def delivery(self, conn: asyncpg.Connection, case_id: str) -> asyncpg.Record | None:
        """The case's delivery, locked for the transaction."""
        row: asyncpg.Record | None = await conn.fetchrow(
            "SELECT * FROM deliveries WHERE case_id = $1 FOR UPDATE", case_id
        )
        return row

    async def mark_delivered(
        self, conn: asyncpg.Connection, case_id: str, reference: str, carrier: str = ""
    ) -> None:
        await conn.execute(
            "UPDATE deliveries SET reference = $2, carrier = $3, delivered_at = now() WHERE case_id = $1",
            case_id,
            reference,
            carrier,
        )

    async def is_delivered(self, conn: asyncpg.Connection, case_id: str) -> bool:
        return bool(
            await conn.fetchval("SELECT delivered_at IS NOT NULL FROM deliveries WHERE case_id = $1", case_id)
        )

    async def print_jobs(self, hall_id: str, method: int, include_done: bool) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self.pool.fetch(
            "SELECT d.case_id, d.hall_id, d.issued_at, d.delivered_at, c.matter_code,"
            " c.applicant_name FROM deliveries d JOIN cases c ON c.case_id = d.case_id"
            " WHERE d.hall_id = $1 AND d.method = $2 AND ($3 OR d.delivered_at IS NULL)"
            " ORDER BY d.issued_at",
            hall_id,
            method,
            include_done,
        )
        return rows

    async def is_rated(self, conn: asyncpg.Connection, case_id: str) -> bool:
        return bool(await conn.fetchval("SELECT 1 FROM evaluations WHERE case_id = $1", case_id))

    async def save_rating(
        self, conn: asyncpg.Connection, case_id: str, level: int, tags: list[str], comment: str
    ) -> None:
        await conn.execute(
            "INSERT INTO evaluations (case_id, level, tags, comment) VALUES ($1, $2, $3, $4)",
            case_id,
            level,
            tags,
            comment,
        )

    async def open_rectification(
        self,
        conn: asyncpg.Connection,
        rectification_id: uuid.UUID,
        case_id: str,
        opened_on: date,
        due_on: date,
    ) -> None:
        await conn.execute(
            "INSERT INTO rectifications (id, case_id, opened_on, due_on) VALUES ($1, $2, $3, $4)",
            rectification_id,
            case_id,
            opened_on,
            due_on,
        )

    async def rectification(
        self, conn: asyncpg.Connection, rectification_id: uuid.UUID
    ) -> asyncpg.Record | None:
        """The rectification, locked for the transaction."""
        row: asyncpg.Record | None = await conn.fetchrow(
            "SELECT * FROM rectifications WHERE id = $1 FOR UPDATE", rectification_id
        )
        return row

    async def close_rectification(
        self, conn: asyncpg.Connection, rectification_id: uuid.UUID, note: str, closed_by: str
    ) -> None:
        await conn.execute(
            "UPDATE rectifications SET closed_at = now(), callback_note = $2, closed_by = $3 WHERE id = $1",
            rectification_id,
            note,
            closed_by,
        )

    async def set_due_date(self, conn: asyncpg.Connection, case_id: str, due: date | None) -> None:
        await conn.execute("UPDATE cases SET due_date = $2 WHERE case_id = $1", case_id, due)

    async def anomalies(self, limit: int) -> list[asyncpg.Record]:
        """What operators must look at, newest first: what the projection found impossible,
        and every case left in a window that is gone (see UNATTENDED)."""
        rows: list[asyncpg.Record] = await self.pool.fetch(
            "SELECT * FROM (SELECT case_id, event_id::text, description, recorded_at FROM anomalies"
            f" UNION ALL {UNATTENDED}) a ORDER BY recorded_at DESC, case_id LIMIT $1",
            limit,
            f"{EVENTS_PACKAGE}.WindowClosed",
        )
        return rows

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


def case_view(row: asyncpg.Record) -> CaseView:
    """What the decision rules look at of a case row."""
    return CaseView(
        row["case_id"],
        row["status"],
        row["official_id"],
        row["target_province"],
        row["assigned_at"],
        row["outcome"],
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
FOLDED = ["folded_time", "folded_topic", "folded_partition", "folded_offset"]  # CaseState.last
SAVED = ["status", *CASE_COLUMNS, *FOLDED]
SAVED_TYPES = (
    ["text", "text"]
    + [SQL_TYPES[type(casefold.COLUMNS[c])] for c in CASE_COLUMNS]
    + ["timestamptz", "text", "int", "bigint"]
)
SAVE_CASES = (
    f"INSERT INTO cases (case_id, {', '.join(SAVED)})"
    f" SELECT * FROM unnest({', '.join(f'${i + 1}::{t}[]' for i, t in enumerate(SAVED_TYPES))})"
    f" ON CONFLICT (case_id) DO UPDATE SET"
    f" {', '.join(f'{c} = excluded.{c}' for c in SAVED)}, updated_at = now()"
    f" WHERE (cases.status, cases.{', cases.'.join(CASE_COLUMNS)})"
    f" IS DISTINCT FROM (excluded.status, excluded.{', excluded.'.join(CASE_COLUMNS)})"
    f" OR cases.folded_time IS DISTINCT FROM excluded.folded_time"
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


async def all_facts(conn: asyncpg.Connection, case_ids: Sequence[str]) -> dict[str, list[Fact]]:
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


async def case_states(conn: asyncpg.Connection, case_ids: Sequence[str]) -> dict[str, CaseState]:
    """The cases' rows as fold states to go on from (those folded since the fold order
    was kept), locked for the transaction."""
    rows = await conn.fetch(
        f"SELECT case_id, {', '.join(SAVED)} FROM cases WHERE case_id = ANY($1::text[])"
        " AND folded_time IS NOT NULL ORDER BY case_id FOR UPDATE",
        list(case_ids),
    )
    return {
        r["case_id"]: CaseState(
            r["status"],
            {c: r[c] for c in CASE_COLUMNS},
            (),
            None,
            (r["folded_time"], r["folded_topic"], r["folded_partition"], r["folded_offset"]),
        )
        for r in rows
    }


async def save_cases(conn: asyncpg.Connection, states: Mapping[str, CaseState]) -> None:
    """The case rows as folded, in one statement; a row the fold left as it was is not
    touched (its updated_at stays)."""
    if not states:
        return
    ids = sorted(states)  # a fixed order: two writers never wait on each other's rows
    lasts = [states[c].last or (None, None, None, None) for c in ids]
    await conn.execute(
        SAVE_CASES,
        ids,
        [states[c].status for c in ids],
        *[[states[c].columns[name] for c in ids] for name in CASE_COLUMNS],
        *[[last[i] for last in lasts] for i in range(len(FOLDED))],
    )


async def save_anomalies(
    conn: asyncpg.Connection, states: Mapping[str, CaseState], refolded: Sequence[str]
) -> None:
    """Adds the anomalies the folds met. A case folded again from all its events
    (`refolded`) keeps only its fold's: one a later-read event explained away goes."""
    found = [(c, e, d) for c, state in states.items() for e, d in state.anomalies]
    if refolded:
        await conn.execute(
            "DELETE FROM anomalies a WHERE a.case_id = ANY($1::text[]) AND NOT EXISTS ("
            " SELECT 1 FROM unnest($2::uuid[], $3::text[]) AS f(event_id, description)"
            " WHERE f.event_id = a.event_id AND f.description = a.description)",
            list(refolded),
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
