"""A small migration runner for asyncpg: ordered `NNN_name.sql` files, a version table,
one database per service. Each file runs in its own transaction with its version row, so a
failed file leaves nothing behind; an applied file that later changes is refused.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)
FILE_PATTERN = re.compile(r"^(\d{3,})_([a-z0-9_]+)\.sql$")
LOCK_ID = 0x7B1  # serialises concurrent runners (two replicas starting together)


class MigrationError(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(folder: Path) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = FILE_PATTERN.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: expected NNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions in {folder}")
    return sorted(found, key=lambda m: m.version)


async def migrate(conn: asyncpg.Connection, migrations: list[Migration]) -> list[int]:
    """Applies what is missing; returns the versions applied now."""
    await conn.execute("SELECT pg_advisory_lock($1)", LOCK_ID)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {
            r["version"]: r["checksum"]
            for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")
        }
        done: list[int] = []
        for migration in migrations:
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version}_{migration.name} changed after it was"
                        " applied; add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            log.info("applied migration", extra={"version": migration.version, "migration": migration.name})
            done.append(migration.version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_ID)


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


async def ensure_database(url: str) -> bool:
    """Creates the database named in `url` if missing (connecting to `postgres`)."""
    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise MigrationError(f"unsafe database name {name!r}")
    admin = await asyncpg.connect(with_database(url, "postgres"))
    try:
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.DuplicateDatabaseError:
            return False
        return True
    finally:
        await admin.close()


def outbox_migration() -> Migration:
    """Version 0 of every service database that publishes events: the outbox table."""
    from services.shared.outbox import DDL

    return Migration(0, "outbox", DDL)


async def prepare(url: str, folder: Path | None, with_outbox: bool = True) -> list[int]:
    """Creates the service's database if needed and brings its schema up to date."""
    await ensure_database(url)
    found = [outbox_migration()] if with_outbox else []
    if folder is not None:
        found += discover(folder)
    conn = await asyncpg.connect(url)
    try:
        return await migrate(conn, found)
    finally:
        await conn.close()
