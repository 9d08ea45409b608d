"""Runs real service processes for benchmarks: the same `python -m services.X` that `make dev`
starts, against the benchmark's engines, each waited for until healthy."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from services.shared.grpcserver import check_health
from tools.engines import REPO_ROOT, EngineError, free_port


def bench_env(kafka: str, database_url: str | None = None, namespace: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "TONGBAN_KAFKA_BOOTSTRAP": kafka,
            "TONGBAN_TOPIC_NAMESPACE": namespace,
            "TONGBAN_PII_KEYS": "bench:" + base64.b64encode(os.urandom(32)).decode(),
            "TONGBAN_PSEUDONYM_SECRET": base64.b64encode(os.urandom(32)).decode(),
            "TONGBAN_CERTIFICATE_SECRET": base64.b64encode(os.urandom(32)).decode(),
            "TONGBAN_LOG_LEVEL": "WARNING",
        }
    )
    if database_url:
        env["TONGBAN_DATABASE_URL"] = database_url
    return env


class ServiceAddress(str):
    """The gRPC address of a started service, knowing its process id (for memory figures)."""

    pid: int


def healthy(address: str) -> bool:
    """A health check that works whether or not the caller runs an event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, check_health(address, 1.0)).result()


@contextlib.contextmanager
def service_process(module: str, env: dict[str, str], timeout: float = 60) -> Iterator[ServiceAddress]:
    """Starts `python -m module` on a free port; yields its gRPC address."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="tongban-bench-svc-"))
    env = dict(
        env,
        TONGBAN_GRPC_LISTEN=f"127.0.0.1:{port}",
        TONGBAN_METRICS_LISTEN=f"127.0.0.1:{free_port()}",
        TONGBAN_BLOB_DIR=str(workdir / "blobs"),
        TONGBAN_RECORDINGS_DIR=str(workdir / "recordings"),
    )
    log = (workdir / "service.log").open("wb")
    child = subprocess.Popen(
        [sys.executable, "-m", module], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    address = ServiceAddress(f"127.0.0.1:{port}")
    address.pid = child.pid
    try:
        print(f"  starting {module} ...", file=sys.stderr, flush=True)
        deadline = time.monotonic() + timeout
        while not healthy(address):
            if child.poll() is not None or time.monotonic() > deadline:
                raise EngineError(f"{module} did not start; see {workdir / 'service.log'}")
            time.sleep(0.3)
        yield address
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        log.close()
