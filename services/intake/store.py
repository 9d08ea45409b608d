"""Intake's PostgreSQL: applications, materials, and their events through the outbox.

Each public method is one transaction: the row change and its event commit together or not
at all, so a failed call writes nothing. Round trips are few on purpose (they, not the SQL,
are most of a call's cost): a change and its outbox event are one statement (a CTE), and an
application is read with its materials in one query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from google.protobuf.message import Message

from services.shared import outbox
from services.shared.topics import Catalog

SOURCE = "intake"
NAMES = (
    "case_id",
    "request_id",
    "status",
    "hall_id",
    "hall_province",
    "target_province",
    "matter_code",
    "department",
    "name_enc",
    "name_masked",
    "id_number_enc",
    "id_number_masked",
    "phone_enc",
    "phone_masked",
    "pseudonym",
    "elderly",
    "disability",
    "interpreter",
    "preferred_language",
    "delivery_method",
    "accepted_with_deficiency",
    "missing_materials",
    "created_at",
    "submitted_at",
    "cancelled_at",
    "cancel_reason",
    "requested_supplements",
    "supplements_requested_at",
    "submission_round",
)
COLUMNS = ", ".join("case_id::text" if n == "case_id" else n for n in NAMES)
MATERIAL_NAMES = (
    "id",
    "case_id",
    "code",
    "content_type",
    "size",
    "sha256",
    "source",
    "blob_key",
    "created_at",
)
MATERIAL_COLUMNS = ", ".join(f"{n}::text" if n in ("id", "case_id") else n for n in MATERIAL_NAMES)
# an application and its materials in one query: one row per material (or one, materials NULL)
WITH_MATERIALS = (
    "SELECT "
    + ", ".join(f"a.{n}::text AS {n}" if n == "case_id" else f"a.{n}" for n in NAMES)
    + ", "
    + ", ".join(
        f"m.{n}::text AS m_{n}" if n in ("id", "case_id") else f"m.{n} AS m_{n}" for n in MATERIAL_NAMES
    )
    + " FROM applications a LEFT JOIN materials m ON m.case_id = a.case_id"
    " WHERE a.case_id = $1 ORDER BY m.created_at, m.id"
)


async def keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing to reset. Intake's pooled connections hold no
    session state (no SET, LISTEN or advisory locks; asyncpg still rolls back an unfinished
    transaction), and asyncpg's default reset query is a round trip per call."""


async def open_pool(dsn: str, size: int) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min(2, size), max_size=size, reset=keep_session
    )
    return pool


@dataclass(frozen=True)
class NewApplication:
    """What CreateApplication stores; personal data arrives already encrypted."""

    case_id: str
    request_id: str
    hall_id: str
    hall_province: str
    target_province: str
    matter_code: str
    department: str
    name_enc: bytes
    name_masked: str
    id_number_enc: bytes
    id_number_masked: str
    phone_enc: bytes
    phone_masked: str
    pseudonym: str
    elderly: bool
    disability: bool
    interpreter: bool
    preferred_language: str
    delivery_method: int


@dataclass(frozen=True)
class MaterialRow:
    id: str
    case_id: str
    code: str
    content_type: str
    size: int
    sha256: str
    source: str
    blob_key: str
    created_at: datetime


@dataclass(frozen=True)
class ApplicationRow(NewApplication):
    """A stored application: what was created, plus what happened to it since."""

    status: str
    accepted_with_deficiency: bool
    missing_materials: list[str]
    created_at: datetime
    submitted_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    requested_supplements: list[str] = field(default_factory=list)
    supplements_requested_at: datetime | None = None
    submission_round: int = 0  # submissions so far: 1 after the first, 2 after a 补正 round
    materials: list[MaterialRow] = field(default_factory=list)


def _application(record: Any, materials: list[MaterialRow]) -> ApplicationRow:
    values: dict[str, Any] = dict(record)
    values["missing_materials"] = list(values["missing_materials"] or [])
    values["requested_supplements"] = list(values["requested_supplements"] or [])
    return ApplicationRow(**values, materials=materials)


def _material(record: asyncpg.Record) -> MaterialRow:
    return MaterialRow(**dict(record))


class IntakeStore:
    def __init__(self, pool: asyncpg.Pool, catalog: Catalog) -> None:
        self.pool = pool
        self.catalog = catalog

    async def _materials(self, conn: asyncpg.Connection, case_id: str) -> list[MaterialRow]:
        rows = await conn.fetch(
            f"SELECT {MATERIAL_COLUMNS} FROM materials WHERE case_id = $1 ORDER BY created_at, id", case_id
        )
        return [_material(r) for r in rows]

    async def _get(self, conn: asyncpg.Connection, case_id: str, lock: bool = False) -> ApplicationRow | None:
        records = await conn.fetch(WITH_MATERIALS + (" FOR UPDATE OF a" if lock else ""), case_id)
        if not records:
            return None
        materials = [
            MaterialRow(**{n: r["m_" + n] for n in MATERIAL_NAMES}) for r in records if r["m_id"] is not None
        ]
        return _application({n: records[0][n] for n in NAMES}, materials)

    async def get(self, case_id: str) -> ApplicationRow | None:
        async with self.pool.acquire() as conn:
            return await self._get(conn, case_id)

    async def create(self, new: NewApplication, event: Message) -> tuple[ApplicationRow, bool]:
        """Inserts unless the request id was seen; returns (application, created now). The
        row and its application.created `event` are one statement."""
        async with self.pool.acquire() as conn:
            record = await conn.fetchrow(
                "WITH inserted AS (INSERT INTO applications (case_id, request_id, status, hall_id,"
                " hall_province, target_province, matter_code, department, name_enc, name_masked,"
                " id_number_enc, id_number_masked, phone_enc, phone_masked, pseudonym, elderly,"
                " disability, interpreter, preferred_language, delivery_method)"
                " VALUES ($1, $2, 'DRAFT', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                f" $15, $16, $17, $18, $19) ON CONFLICT (request_id) DO NOTHING RETURNING {COLUMNS}),"
                # the event only if the row went in: a retry inserts neither
                f" event AS ({outbox.insert_sql(20, only_if_rows_in='inserted')})"
                " SELECT * FROM inserted",
                new.case_id,
                new.request_id,
                new.hall_id,
                new.hall_province,
                new.target_province,
                new.matter_code,
                new.department,
                new.name_enc,
                new.name_masked,
                new.id_number_enc,
                new.id_number_masked,
                new.phone_enc,
                new.phone_masked,
                new.pseudonym,
                new.elderly,
                new.disability,
                new.interpreter,
                new.preferred_language,
                new.delivery_method,
                *outbox.event_row(self.catalog, event, source=SOURCE),
            )
            if record is not None:
                return _application(record, []), True  # a new application has no materials yet
            # a retry: the first call's application stands
            case_id = await conn.fetchval(
                "SELECT case_id::text FROM applications WHERE request_id = $1", new.request_id
            )
            row = await self._get(conn, case_id)
            assert row is not None
            return row, False

    async def add_material(
        self,
        case_id: str,
        check: Callable[[ApplicationRow | None], str],
        store_blob: Callable[[], Awaitable[None]],
        row_for: Callable[[ApplicationRow, str], MaterialRow],
        event_for: Callable[[MaterialRow], Message],
    ) -> MaterialRow:
        """Records a file: `check(application)` raises or returns its content type;
        `store_blob()` writes the file, under the application's row lock, before the row, so
        no row ever names a file that did not store, and `release_blob` (same lock) cannot
        remove it meanwhile; `row_for(application, content_type)` is the row to insert."""
        async with self.pool.acquire() as conn, conn.transaction():
            application = await self._get(conn, case_id, lock=True)
            content_type = check(application)
            assert application is not None
            row = row_for(application, content_type)
            await store_blob()
            record = await conn.fetchrow(
                "WITH material AS (INSERT INTO materials (id, case_id, code, content_type, size,"
                " sha256, source, blob_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                f" RETURNING {MATERIAL_COLUMNS}),"
                " touched AS (UPDATE applications SET updated_at = now() WHERE case_id = $2),"
                f" event AS ({outbox.insert_sql(9)})"
                " SELECT * FROM material",
                row.id,
                case_id,
                row.code,
                row.content_type,
                row.size,
                row.sha256,
                row.source,
                row.blob_key,
                *outbox.event_row(self.catalog, event_for(row), source=SOURCE),
            )
            return _material(record)

    async def release_blob(
        self, case_id: str, blob_key: str, delete: Callable[[str], Awaitable[None]]
    ) -> bool:
        """After a failed upload: deletes its file unless a material of the case names it
        (content-addressed: the same bytes may have been uploaded twice). True if deleted."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM applications WHERE case_id = $1 FOR UPDATE", case_id)
            if await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM materials WHERE case_id = $1 AND blob_key = $2)",
                case_id,
                blob_key,
            ):
                return False
            await delete(blob_key)
            return True

    async def transition(self, case_id: str, decide: Any) -> ApplicationRow | None:
        """Locks the application, lets `decide(row)` return (updates, events) or raise,
        applies the updates and writes the events (one statement), all in one transaction.
        None when the application does not exist."""
        async with self.pool.acquire() as conn, conn.transaction():
            return await self._transition(conn, case_id, decide)

    async def _transition(self, conn: asyncpg.Connection, case_id: str, decide: Any) -> ApplicationRow | None:
        """`transition`'s work, inside the caller's transaction."""
        row = await self._get(conn, case_id, lock=True)
        if row is None:
            return None
        updates, events = decide(row)
        if not updates:
            for event in events:
                await self._emit(conn, event)
            return row
        names = list(updates)
        sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
        args: list[Any] = [case_id, *updates.values()]
        inserts: list[str] = []
        for event in events:
            inserts.append(f"e{len(inserts)} AS ({outbox.insert_sql(len(args) + 1)})")
            args += outbox.event_row(self.catalog, event, source=SOURCE)
        record = await conn.fetchrow(
            f"WITH updated AS (UPDATE applications SET {sets}, updated_at = now()"
            f" WHERE case_id = $1 RETURNING {COLUMNS})"
            + "".join(", " + i for i in inserts)
            + " SELECT * FROM updated",
            *args,
        )
        return _application(record, row.materials)

    async def once(self, event_id: str, case_id: str, decide: Any) -> ApplicationRow | None:
        """`transition`, for an event another service published: applied at most once per
        event id (a redelivered event changes nothing), in the same transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            first = await conn.fetchval(
                "INSERT INTO handled_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
                event_id,
            )
            if not first:
                return None
            return await self._transition(conn, case_id, decide)

    async def list_by_hall(
        self, hall_id: str, status: str | None, limit: int, after: tuple[datetime, str] | None
    ) -> list[ApplicationRow]:
        """Keyset pagination on (created_at, case_id): stable while new rows arrive."""
        conditions = ["hall_id = $1"]
        args: list[Any] = [hall_id]
        if status:
            args.append(status)
            conditions.append(f"status = ${len(args)}")
        if after:
            args += [after[0], after[1]]
            conditions.append(f"(created_at, case_id) > (${len(args) - 1}, ${len(args)}::uuid)")
        args.append(limit)
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {COLUMNS} FROM applications WHERE {' AND '.join(conditions)}"
                f" ORDER BY created_at, case_id LIMIT ${len(args)}",
                *args,
            )
            return [_application(r, await self._materials(conn, r["case_id"])) for r in rows]

    async def material(self, case_id: str, material_id: str) -> MaterialRow | None:
        async with self.pool.acquire() as conn:
            record = await conn.fetchrow(
                f"SELECT {MATERIAL_COLUMNS} FROM materials WHERE case_id = $1 AND id = $2",
                case_id,
                material_id,
            )
        return _material(record) if record else None

    async def _emit(self, conn: asyncpg.Connection, event: Message) -> None:
        await outbox.enqueue(conn, self.catalog, event, source=SOURCE)
