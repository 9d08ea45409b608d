from pathlib import Path

import asyncpg
import pytest

from services.shared import migrations
from services.shared.migrations import MigrationError


def write(folder: Path, name: str, sql: str) -> None:
    (folder / name).write_text(sql)


async def test_applies_in_order_once_and_records_versions(tmp_path: Path, fresh_database: str) -> None:
    write(tmp_path, "002_add_column.sql", "ALTER TABLE things ADD COLUMN size int;")
    write(tmp_path, "001_create.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    assert await migrations.prepare(fresh_database, tmp_path) == [0, 1, 2]
    assert await migrations.prepare(fresh_database, tmp_path) == []
    conn = await asyncpg.connect(fresh_database)
    try:
        await conn.execute("INSERT INTO things (id, size) VALUES (1, 2)")
        rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")
        versions = [r["version"] for r in rows]
        assert versions == [0, 1, 2]
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        await conn.close()


async def test_a_failing_file_leaves_nothing_behind(tmp_path: Path, fresh_database: str) -> None:
    write(tmp_path, "001_ok.sql", "CREATE TABLE a (id int);")
    write(tmp_path, "002_bad.sql", "CREATE TABLE b (id int); SELECT * FROM no_such_table;")
    with pytest.raises(asyncpg.UndefinedTableError):
        await migrations.prepare(fresh_database, tmp_path)
    conn = await asyncpg.connect(fresh_database)
    try:
        assert await conn.fetchval("SELECT to_regclass('b')") is None
        assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == 1
    finally:
        await conn.close()


async def test_an_edited_applied_migration_is_refused(tmp_path: Path, fresh_database: str) -> None:
    write(tmp_path, "001_create.sql", "CREATE TABLE a (id int);")
    await migrations.prepare(fresh_database, tmp_path)
    write(tmp_path, "001_create.sql", "CREATE TABLE a (id bigint);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrations.prepare(fresh_database, tmp_path)


def test_bad_file_names_and_duplicates_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "create.sql", "")
    with pytest.raises(MigrationError, match="NNN_name.sql"):
        migrations.discover(tmp_path)
    (tmp_path / "create.sql").unlink()
    write(tmp_path, "001_a.sql", "")
    write(tmp_path, "0001_b.sql", "")
    with pytest.raises(MigrationError, match="duplicate"):
        migrations.discover(tmp_path)
