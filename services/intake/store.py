"""Intake's PostgreSQL: applications, materials, and their events through the outbox.

Each public method is one transaction: the row change and its event commit together or not
at all, so a failed call writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from google.protobuf.message import Message

from services.shared import outbox
from services.shared.topics import Catalog

SOURCE = "intake"
COLUMNS = (
    "case_id::text, request_id, status, hall_id, hall_province, target_province, matter_code,"
    " department, name_enc, name_masked, id_number_enc, id_number_masked, phone_enc,"
    " phone_masked, pseudonym, elderly, disability, interpreter, preferred_language,"
    " delivery_method, accepted_with_deficiency, missing_materials, created_at, submitted_at,"
    " cancelled_at, cancel_reason"
)


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
    materials: list[MaterialRow] = field(default_factory=list)


def _application(record: asyncpg.Record, materials: list[MaterialRow]) -> ApplicationRow:
    values: dict[str, Any] = dict(record)
    values["missing_materials"] = list(values["missing_materials"] or [])
    return ApplicationRow(**values, materials=materials)


def _material(record: asyncpg.Record) -> MaterialRow:
    return MaterialRow(**dict(record))


class IntakeStore:
    def __init__(self, pool: asyncpg.Pool, catalog: Catalog) -> None:
        self.pool = pool
        self.catalog = catalog

    async def _materials(self, conn: asyncpg.Connection, case_id: str) -> list[MaterialRow]:
        rows = await conn.fetch(
            "SELECT id::text, case_id::text, code, content_type, size, sha256, source, blob_key,"
            " created_at FROM materials WHERE case_id = $1 ORDER BY created_at, id", case_id)
        return [_material(r) for r in rows]

    async def _get(self, conn: asyncpg.Connection, case_id: str, lock: bool = False
                   ) -> ApplicationRow | None:
        record = await conn.fetchrow(
            f"SELECT {COLUMNS} FROM applications WHERE case_id = $1"
            + (" FOR UPDATE" if lock else ""), case_id)
        if record is None:
            return None
        return _application(record, await self._materials(conn, case_id))

    async def get(self, case_id: str) -> ApplicationRow | None:
        async with self.pool.acquire() as conn:
            return await self._get(conn, case_id)

    async def create(self, new: NewApplication, event_for: Any) -> tuple[ApplicationRow, bool]:
        """Inserts unless the request id was seen; returns (application, created now).
        `event_for(row)` builds the application.created event from the stored row."""
        async with self.pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                "INSERT INTO applications (case_id, request_id, status, hall_id, hall_province,"
                " target_province, matter_code, department, name_enc, name_masked, id_number_enc,"
                " id_number_masked, phone_enc, phone_masked, pseudonym, elderly, disability,"
                " interpreter, preferred_language, delivery_method)"
                " VALUES ($1, $2, 'DRAFT', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                " $15, $16, $17, $18, $19) ON CONFLICT (request_id) DO NOTHING RETURNING case_id",
                new.case_id, new.request_id, new.hall_id, new.hall_province, new.target_province,
                new.matter_code, new.department, new.name_enc, new.name_masked,
                new.id_number_enc, new.id_number_masked, new.phone_enc, new.phone_masked,
                new.pseudonym, new.elderly, new.disability, new.interpreter,
                new.preferred_language, new.delivery_method,
            )
            if inserted is None:  # a retry: the first call's application stands
                case_id = await conn.fetchval(
                    "SELECT case_id::text FROM applications WHERE request_id = $1", new.request_id)
                row = await self._get(conn, case_id)
                assert row is not None
                return row, False
            record = await conn.fetchrow(
                f"SELECT {COLUMNS} FROM applications WHERE case_id = $1", new.case_id)
            row = _application(record, [])  # a new application has no materials yet
            await self._emit(conn, event_for(row))
            return row, True

    async def add_material(self, case_id: str, code: str, content_type: str, size: int,
                           sha256: str, source: str, blob_key: str, allowed: Any,
                           store_blob: Callable[[], Awaitable[None]], event_for: Any
                           ) -> MaterialRow:
        """Records a file if `allowed(application)` passes (raises otherwise). `store_blob()`
        writes the file first, under the application's row lock, so no row ever names a file
        that did not store, and `release_blob` (same lock) cannot remove it meanwhile."""
        async with self.pool.acquire() as conn, conn.transaction():
            application = await self._get(conn, case_id, lock=True)
            allowed(application)
            await store_blob()
            record = await conn.fetchrow(
                "INSERT INTO materials (id, case_id, code, content_type, size, sha256, source,"
                " blob_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text,"
                " case_id::text, code, content_type, size, sha256, source, blob_key, created_at",
                str(uuid.uuid4()), case_id, code, content_type, size, sha256, source, blob_key)
            material = _material(record)
            await conn.execute("UPDATE applications SET updated_at = now() WHERE case_id = $1",
                               case_id)
            await self._emit(conn, event_for(material))
            return material

    async def release_blob(self, case_id: str, blob_key: str,
                           delete: Callable[[str], Awaitable[None]]) -> bool:
        """After a failed upload: deletes its file unless a material of the case names it
        (content-addressed: the same bytes may have been uploaded twice). True if deleted."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM applications WHERE case_id = $1 FOR UPDATE", case_id)
            if await conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM materials WHERE case_id = $1 AND blob_key = $2)",
                    case_id, blob_key):
                return False
            await delete(blob_key)
            return True

    async def transition(self, case_id: str, decide: Any) -> ApplicationRow | None:
        """Locks the application, lets `decide(row)` return (updates, events) or raise,
        applies the updates and writes the events, all in one transaction. None when the
        application does not exist."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await self._get(conn, case_id, lock=True)
            if row is None:
                return None
            updates, events = decide(row)
            if updates:
                names = list(updates)
                sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
                record = await conn.fetchrow(
                    f"UPDATE applications SET {sets}, updated_at = now() WHERE case_id = $1"
                    f" RETURNING {COLUMNS}", case_id, *updates.values())
                row = _application(record, row.materials)
            for event in events:
                await self._emit(conn, event)
            return row

    async def list_by_hall(self, hall_id: str, status: str | None, limit: int,
                           after: tuple[datetime, str] | None) -> list[ApplicationRow]:
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
                f" ORDER BY created_at, case_id LIMIT ${len(args)}", *args)
            return [_application(r, await self._materials(conn, r["case_id"])) for r in rows]

    async def material(self, case_id: str, material_id: str) -> MaterialRow | None:
        async with self.pool.acquire() as conn:
            record = await conn.fetchrow(
                "SELECT id::text, case_id::text, code, content_type, size, sha256, source,"
                " blob_key, created_at FROM materials WHERE case_id = $1 AND id = $2",
                case_id, material_id)
        return _material(record) if record else None

    async def _emit(self, conn: asyncpg.Connection, event: Message) -> None:
        await outbox.enqueue(conn, self.catalog, event, source=SOURCE)
