"""Every engine the test suite runs is started here and nowhere else: Kafka, PostgreSQL,
SeaweedFS (S3), coturn (TURN), and headless Chromium inside a network namespace.

The root conftest loads this module as a plugin, so its fixtures are everyone's. Each engine
starts lazily, once per session, for the first test that asks; a test asking for none of
them is a unit test (tests/conftest.py marks it so). The context managers behind the
fixtures also serve the browser journeys, which run in a network namespace of their own
where the suite's engines cannot be reached and start their own.

Set TONGBAN_TEST_KAFKA (host:port) or TONGBAN_TEST_POSTGRES (postgresql://… of a superuser)
to use engines that already run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from kafka.admin import KafkaAdminClient

from services.shared import topics
from tools.engines import KafkaNode, PostgresNode, SeaweedNode, TurnNode, free_port

ROOT = Path(__file__).resolve().parents[1]
TURN_SECRET = "turn-test-secret"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=Translate,MediaRouter",
    "--window-size=1280,1000",
)

# ---------------------------------------------------------------- the engines themselves


@contextlib.contextmanager
def engine_home(prefix: str = "tongban-test-") -> Iterator[Path]:
    """A folder for the engines' data (open to PostgreSQL's server user, if the folders
    above it are; otherwise the server keeps its files elsewhere: see PostgresNode)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def kafka_engine(home: Path) -> Iterator[KafkaNode]:
    node = KafkaNode(home / "kafka", free_port(), free_port())
    node.start()
    try:
        yield node
    finally:
        node.stop()


@contextlib.contextmanager
def postgres_engine(home: Path) -> Iterator[PostgresNode]:
    node = PostgresNode(home / "postgres", free_port(), fast=True)
    node.start()
    try:
        yield node
    finally:
        node.stop(mode="immediate")
        node.remove()


def new_namespace(bootstrap: str) -> topics.Catalog:
    """A topic namespace of its own on the broker, its catalog topics created."""
    catalog = topics.load(namespace=f"t{uuid.uuid4().hex[:10]}")
    topics.ensure_topics(bootstrap, catalog)
    return catalog


def drop_namespace(bootstrap: str, catalog: topics.Catalog) -> None:
    """Deletes every topic of the namespace, faust's own included, so a long session does not
    pile partitions up on the broker."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tongban-test-cleanup")
    try:
        doomed = [name for name in admin.list_topics() if name.startswith(catalog.namespace + ".")]
        if doomed:
            admin.delete_topics(doomed)
    finally:
        admin.close()


def chromium(profile: Path, browser_logs: bool = False) -> Any:
    """Headless Chromium through chromedriver, fake camera and microphone; call only inside
    a network namespace with only `lo` (see `browser_sandbox`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if browser_logs:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


@dataclass
class Sandboxed:
    """What a script run in the browser sandbox did: its exit status, the JSON object it
    printed last, and the end of its error output."""

    returncode: int
    report: dict[str, Any] = field(default_factory=dict)
    stderr: str = ""

    def explain(self) -> str:
        return json.dumps(self.report, ensure_ascii=False, indent=1) + "\n" + self.stderr[-3000:]


def run_sandboxed(script: Path, *args: str, timeout: float = 600) -> Sandboxed:
    """Runs `python script args…` inside a new network namespace whose only interface is `lo`
    (`unshare -n`), so nothing the browser does can leave the machine."""
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable, script, *args],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = done.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        report = {"stdout": done.stdout[-3000:]}
    return Sandboxed(done.returncode, report, done.stderr)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def stack_dir() -> Iterator[Path]:
    with engine_home() as path:
        yield path


@pytest.fixture(scope="session")
def kafka_node(stack_dir: Path) -> Iterator[KafkaNode | None]:
    if os.environ.get("TONGBAN_TEST_KAFKA"):
        yield None
        return
    with kafka_engine(stack_dir) as node:
        yield node


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_node: KafkaNode | None) -> str:
    return os.environ.get("TONGBAN_TEST_KAFKA") or kafka_node.bootstrap  # type: ignore[union-attr]


@pytest.fixture
def topic_namespace(kafka_bootstrap: str) -> Iterator[topics.Catalog]:
    """The catalog inside a namespace of this test's own, its topics created (and dropped
    after): records other tests leave on the broker never reach it."""
    catalog = new_namespace(kafka_bootstrap)
    yield catalog
    drop_namespace(kafka_bootstrap, catalog)


@pytest.fixture(scope="session")
def postgres_node(stack_dir: Path) -> Iterator[PostgresNode | None]:
    if os.environ.get("TONGBAN_TEST_POSTGRES"):
        yield None
        return
    with postgres_engine(stack_dir) as node:
        yield node


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


@pytest.fixture(scope="session")
def s3_node(stack_dir: Path) -> Iterator[SeaweedNode]:
    """SeaweedFS with its S3 gateway, refusing any request not signed with its identity."""
    node = SeaweedNode(stack_dir / "seaweedfs", free_port())
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
async def own_s3(tmp_path: Path) -> AsyncIterator[SeaweedNode]:
    """A SeaweedFS of the test's own, so stopping it disturbs no other test."""
    node = SeaweedNode(tmp_path / "seaweedfs", free_port())
    await asyncio.to_thread(node.start)
    try:
        yield node
    finally:
        await asyncio.to_thread(node.stop)


@pytest.fixture(scope="session")
def turn_server(stack_dir: Path) -> Iterator[TurnNode]:
    """coturn checking TURN REST credentials made from TURN_SECRET."""
    node = TurnNode(stack_dir / "coturn", TURN_SECRET)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def browser_sandbox() -> Callable[..., Sandboxed]:
    """`run(script, *args, timeout=…)`: a script driving Chromium, run in a network namespace
    with only `lo` (it starts whatever engines it needs there, with the helpers above)."""
    if shutil.which("unshare") is None or not Path(CHROMIUM).exists():
        raise RuntimeError("the browser tests need unshare and Chromium: make test installs them")
    return run_sandboxed
