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
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from services.shared.grpcserver import check_health
from services.shared.migrations import with_database
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
    """The gRPC address of a started service, knowing its process id (for memory figures)
    and its database, if it has one."""

    pid: int
    database_url: str = ""


def healthy(address: str) -> bool:
    """A health check that works whether or not the caller runs an event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, check_health(address, 1.0)).result()


@dataclass
class Launched:
    """A service process started and not yet known to be healthy."""

    module: str
    address: ServiceAddress
    child: subprocess.Popen[bytes]
    log: Path

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not healthy(self.address):
            if self.child.poll() is not None or time.monotonic() > deadline:
                raise EngineError(f"{self.module} did not start; see {self.log}")
            time.sleep(0.3)

    def terminate(self) -> None:
        if self.child.poll() is None:
            self.child.terminate()

    def wait_stopped(self) -> None:
        try:
            self.child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()


def launch(module: str, env: dict[str, str]) -> Launched:
    """Starts `python -m module` on a free port (its log in a folder of its own)."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="tongban-bench-svc-"))
    env = dict(
        env,
        TONGBAN_GRPC_LISTEN=f"127.0.0.1:{port}",
        TONGBAN_METRICS_LISTEN=f"127.0.0.1:{free_port()}",
        TONGBAN_BLOB_DIR=str(workdir / "blobs"),
        TONGBAN_RECORDINGS_DIR=str(workdir / "recordings"),
    )
    log = workdir / "service.log"
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        child = subprocess.Popen(
            [sys.executable, "-m", module], cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    address = ServiceAddress(f"127.0.0.1:{port}")
    address.pid = child.pid
    print(f"  starting {module} ...", file=sys.stderr, flush=True)
    return Launched(module, address, child, log)


@contextlib.contextmanager
def service_process(module: str, env: dict[str, str], timeout: float = 60) -> Iterator[ServiceAddress]:
    """Starts `python -m module` on a free port; yields its gRPC address once healthy."""
    launched = launch(module, env)
    try:
        launched.wait_healthy(timeout)
        yield launched.address
    finally:
        launched.terminate()
        launched.wait_stopped()


SERVICES = ("intake", "results", "routing", "window")
WITH_DATABASE = ("intake", "results")


@contextlib.contextmanager
def services(
    kafka: str, postgres: str, namespace: str = "", timeout: float = 120, **settings: str
) -> Iterator[dict[str, ServiceAddress]]:
    """The four services as processes, as `make dev` runs them, started together: topics in
    `namespace`, a database of their own each (created by the service), `settings` as
    TONGBAN_<NAME> for all (e.g. wrap_up_s="0.5"). Yields name -> gRPC address."""
    suffix = uuid.uuid4().hex[:6]
    env = bench_env(kafka, namespace=namespace)
    env.update(
        TONGBAN_LOOPBACK_ICE="true",  # every peer is on this machine
        TONGBAN_ROUTING_DATA_DIR=tempfile.mkdtemp(prefix="tongban-routing-"),
    )
    env.update({f"TONGBAN_{name.upper()}": value for name, value in settings.items()})
    launched: dict[str, Launched] = {}
    try:
        for name in SERVICES:
            own = dict(env)
            if name in WITH_DATABASE:
                own["TONGBAN_DATABASE_URL"] = with_database(postgres, f"{name}_{suffix}")
            launched[name] = launch(f"services.{name}", own)
            launched[name].address.database_url = own.get("TONGBAN_DATABASE_URL", "")
        for process in launched.values():
            process.wait_healthy(timeout)
        yield {name: process.address for name, process in launched.items()}
    finally:
        for process in launched.values():  # stop them together, not one after another
            process.terminate()
        for process in launched.values():
            process.wait_stopped()
