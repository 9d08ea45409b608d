"""Session fixtures: the real Kafka and PostgreSQL, started by the suite on free ports.

Set TONGBAN_TEST_KAFKA (host:port) or TONGBAN_TEST_POSTGRES (postgresql://… of a superuser)
to use engines that already run; otherwise each starts lazily, only for tests that ask.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tools.engines import KafkaNode, PostgresNode, free_port


@pytest.fixture(scope="session")
def stack_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="tongban-test-"))
    os.chmod(path, 0o755)  # the postgres user must be able to enter it
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_node(stack_dir: Path) -> Iterator[KafkaNode | None]:
    if os.environ.get("TONGBAN_TEST_KAFKA"):
        yield None
        return
    node = KafkaNode(stack_dir / "kafka", free_port(), free_port())
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_node: KafkaNode | None) -> str:
    return os.environ.get("TONGBAN_TEST_KAFKA") or kafka_node.bootstrap  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def postgres_node(stack_dir: Path) -> Iterator[PostgresNode | None]:
    if os.environ.get("TONGBAN_TEST_POSTGRES"):
        yield None
        return
    node = PostgresNode(stack_dir / "postgres", free_port(), fast=True)
    node.start()
    yield node
    node.stop(mode="immediate")


@pytest.fixture(scope="session")
def postgres_url(postgres_node: PostgresNode | None) -> str:
    return os.environ.get("TONGBAN_TEST_POSTGRES") or postgres_node.url()  # type: ignore[union-attr]


@pytest.fixture
async def fresh_database(postgres_url: str) -> AsyncIterator[str]:
    """An empty database of its own for one test; its URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()
