"""A checkout in a folder only its owner may enter (root's home is mode 0700, so is a
`mktemp -d` folder): PostgreSQL, which runs as the `postgres` user when started by root,
still gets a cluster, found again on the next start, and a clear message when it cannot."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tools import engines
from tools.engines import EngineError, PostgresNode, free_port

pytestmark = pytest.mark.integration  # starts PostgreSQL itself


@pytest.fixture
def private_folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="tongban-private-"))
    assert path.stat().st_mode & 0o777 == 0o700
    yield path
    shutil.rmtree(path, ignore_errors=True)


def query(node: PostgresNode, sql: str) -> object:
    """The first value of the last statement's result (several statements run in order)."""

    async def run() -> object:
        conn = await asyncpg.connect(node.url())
        try:
            *before, last = sql.split(";")
            for statement in before:
                await conn.execute(statement)
            return await conn.fetchval(last)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_postgres_runs_for_a_checkout_in_a_private_folder(private_folder: Path) -> None:
    node = PostgresNode(private_folder / "checkout" / ".stack" / "postgres", free_port(), fast=True)
    try:
        node.start()
        query(node, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
        node.stop()
        again = PostgresNode(node.home, node.port, fast=True)  # as the next `make dev` would
        again.start()
        assert query(again, "SELECT x FROM kept") == 7  # the same cluster, found again
        again.stop()
        if os.geteuid() == 0:  # the server is the postgres user, who cannot enter the folder
            assert not again.server_home.is_relative_to(private_folder)
            assert (node.home / "server").resolve() == again.server_home
        else:  # the server runs as this user, who can
            assert again.server_home == node.home
    finally:
        node.stop(mode="immediate")
        node.remove()
        assert not node.server_home.exists()


def test_postgres_says_what_is_wrong_when_its_user_can_go_nowhere(
    private_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "SERVER_FALLBACK", private_folder / "closed-too")
    node = PostgresNode(private_folder / "checkout" / ".stack" / "postgres", free_port())
    if os.geteuid() != 0:  # PostgreSQL runs as this user, who may enter their own folders
        assert node.server_home == node.home
        return
    with pytest.raises(EngineError) as raised:
        node.start()
    message = str(raised.value)
    assert "`postgres` user" in message and str(private_folder) in message and "chmod o+x" in message
