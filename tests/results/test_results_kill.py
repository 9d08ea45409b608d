"""Kill the results process (SIGKILL) while it projects, restart it: every event is in the
timeline exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
from kafka import KafkaProducer

from bench.stack import bench_env, healthy
from services.results.__main__ import MIGRATIONS
from services.shared import cloudevents, migrations, topics
from tests.results.results_support import start_at_the_end
from tests.support import eventually
from tongban.events.v1 import events_pb2
from tools.engines import REPO_ROOT, free_port


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.results"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_results_killed_mid_projection_resumes_exactly_once(
    kafka_bootstrap: str, fresh_database: str, tmp_path: Path
) -> None:
    catalog = topics.load()
    topics.ensure_topics(kafka_bootstrap, catalog)
    await migrations.prepare(fresh_database, MIGRATIONS)
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=2)
    await start_at_the_end(pool, kafka_bootstrap, catalog.event_topics())
    port = free_port()
    env = dict(
        bench_env(kafka_bootstrap, fresh_database),
        TONGBAN_GRPC_LISTEN=f"127.0.0.1:{port}",
        TONGBAN_METRICS_LISTEN=f"127.0.0.1:{free_port()}",
    )
    cases = [str(uuid.uuid4()) for _ in range(3000)]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=5)
    for case_id in cases:
        for event in (
            events_pb2.WindowOpened(case_id=case_id, window_id="w"),
            events_pb2.WindowMediaStats(case_id=case_id, window_id="w", frame_rate=15),
        ):
            key, value, headers = cloudevents.encode(cloudevents.stamp(event), source="window", key=case_id)
            producer.send("tongban.window", key=key, value=value, headers=headers)
    producer.flush()
    producer.close()
    wanted = len(cases) * 2

    async def count() -> int:
        return int(
            await pool.fetchval("SELECT count(*) FROM timeline WHERE case_id = ANY($1::text[])", cases)
        )

    first = start(env, tmp_path / "results.log")
    try:
        await eventually(lambda: asyncio.to_thread(healthy, f"127.0.0.1:{port}"), timeout=60)
        await eventually(lambda: count(), timeout=60, interval=0.01)  # it has begun
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        partial = await count()
        second = start(env, tmp_path / "results.log")
        try:

            async def all_there() -> bool:
                return await count() == wanted

            await eventually(all_there, timeout=90)
        finally:
            second.terminate()
            second.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    stored = await pool.fetch(
        "SELECT case_id, count(*) AS n FROM timeline WHERE case_id = ANY($1::text[]) GROUP BY case_id", cases
    )
    await pool.close()
    assert 0 < partial < wanted  # the kill came mid-stream, with work still to do
    assert len(stored) == len(cases) and all(r["n"] == 2 for r in stored)  # each exactly once
