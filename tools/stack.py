"""The local stack without Docker: `make dev` (up), `make down`, `make status`.

Starts a real single-node Kafka (KRaft) and a private PostgreSQL cluster under .stack/,
creates topics and databases, then every service that exists and the gateway, waits until
each is healthy and prints the URLs. Every process is tracked by a PID file, so `down`
stops exactly what `up` started and `up` is safe to run again while the stack runs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tools.engines import (
    REPO_ROOT,
    EngineError,
    KafkaNode,
    PostgresNode,
    ensure_kafka_jars,
    pid_alive,
    port_open,
    terminate,
)

STACK = Path(os.environ.get("TONGBAN_STACK_DIR", REPO_ROOT / ".stack"))
PIDS = STACK / "pids"
LOGS = STACK / "logs"


def env_port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


KAFKA_PORT = env_port("TONGBAN_KAFKA_PORT", 9092)
KAFKA_CONTROLLER_PORT = env_port("TONGBAN_KAFKA_CONTROLLER_PORT", 9093)
PG_PORT = env_port("TONGBAN_PG_PORT", 5433)
GATEWAY_PORT = env_port("TONGBAN_GATEWAY_PORT", 8080)


@dataclass(frozen=True)
class Process:
    """One service process of the stack."""

    name: str
    module: str
    grpc_port: int | None
    metrics_port: int | None
    database: str | None = None

    @property
    def exists(self) -> bool:
        folder = REPO_ROOT / Path(*self.module.split("."))
        return (folder / "__main__.py").exists()


SERVICES = [
    Process("intake", "services.intake", env_port("TONGBAN_INTAKE_PORT", 50051), 9101, "intake"),
    Process("routing", "services.routing", env_port("TONGBAN_ROUTING_PORT", 50052), 9102),
    Process("window", "services.window", env_port("TONGBAN_WINDOW_PORT", 50053), 9103),
    Process("results", "services.results", env_port("TONGBAN_RESULTS_PORT", 50054), 9104, "results"),
]
GATEWAY = Process("gateway", "gateway", None, 9100, "gateway")


def kafka() -> KafkaNode:
    return KafkaNode(STACK / "kafka", KAFKA_PORT, KAFKA_CONTROLLER_PORT)


def postgres() -> PostgresNode:
    return PostgresNode(STACK / "postgres", PG_PORT)


def secrets() -> dict[str, str]:
    """Development keys, made once and kept so data written earlier stays readable."""
    path = STACK / "secrets.env"
    if not path.exists():
        STACK.mkdir(parents=True, exist_ok=True)
        key = base64.b64encode(os.urandom(32)).decode()
        lines = [
            f"TONGBAN_PII_KEYS=dev1:{key}",
            f"TONGBAN_PSEUDONYM_SECRET={base64.b64encode(os.urandom(32)).decode()}",
            f"TONGBAN_CERTIFICATE_SECRET={base64.b64encode(os.urandom(32)).decode()}",
            f"TONGBAN_JOIN_SECRET={base64.b64encode(os.urandom(32)).decode()}",
            f"TONGBAN_SESSION_SECRET={base64.b64encode(os.urandom(32)).decode()}",
        ]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return dict(pairs)


def service_env(process: Process) -> dict[str, str]:
    env = dict(os.environ)
    env.update(secrets())
    env.update(
        {
            "TONGBAN_KAFKA_BOOTSTRAP": f"127.0.0.1:{KAFKA_PORT}",
            "TONGBAN_METRICS_LISTEN": f"127.0.0.1:{process.metrics_port}",
            "TONGBAN_RECORDINGS_DIR": str(STACK / "recordings"),
            "TONGBAN_BLOB_DIR": str(STACK / "blobs"),
            "TONGBAN_ROUTING_DATA_DIR": str(STACK / "routing"),
            "TONGBAN_POSTGRES_URL": postgres().url("postgres"),
            # every browser and peer of the local stack is on this machine
            "TONGBAN_LOOPBACK_ICE": "true",
        }
    )
    for other in SERVICES:
        env[f"TONGBAN_{other.name.upper()}_ADDR"] = f"127.0.0.1:{other.grpc_port}"
    if process.grpc_port:
        env["TONGBAN_GRPC_LISTEN"] = f"127.0.0.1:{process.grpc_port}"
    if process.database:
        env["TONGBAN_DATABASE_URL"] = postgres().url(process.database)
    if process is GATEWAY:
        env["TONGBAN_HTTP_LISTEN"] = f"127.0.0.1:{GATEWAY_PORT}"
        env["TONGBAN_SEED_DEV_ACCOUNTS"] = "true"  # printed by `up` (see dev_accounts)
        env["TONGBAN_SERVICES"] = ",".join(p.name for p in SERVICES if p.exists)
    return env


def pid_of(name: str) -> int | None:
    path = PIDS / f"{name}.pid"
    if path.exists():
        text = path.read_text().strip()
        if text.isdigit() and pid_alive(int(text)):
            return int(text)
    return None


def start_process(process: Process) -> int:
    PIDS.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{process.name}.log").open("ab")
    child = subprocess.Popen(
        [sys.executable, "-m", process.module],
        cwd=REPO_ROOT,
        env=service_env(process),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    (PIDS / f"{process.name}.pid").write_text(str(child.pid))
    return child.pid


def healthy(process: Process) -> bool:
    if process.grpc_port:
        from services.shared.grpcserver import check_health

        return asyncio.run(check_health(f"127.0.0.1:{process.grpc_port}", timeout=1.0))
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{GATEWAY_PORT}/healthz", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def wait_healthy(process: Process, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = pid_of(process.name)
        if pid is None:
            raise EngineError(f"{process.name} exited; see {LOGS / (process.name + '.log')}")
        if healthy(process):
            return
        time.sleep(0.3)
    raise EngineError(f"{process.name} not healthy after {timeout:.0f}s; see its log")


class Progress:
    def __init__(self, total: int) -> None:
        self.total = total
        self.step = 0

    def __call__(self, text: str) -> float:
        self.step += 1
        print(f"[{self.step}/{self.total}] {text} ...", end=" ", flush=True)
        return time.monotonic()

    @staticmethod
    def done(started: float, note: str = "ok") -> None:
        print(f"{note} ({time.monotonic() - started:.1f}s)", flush=True)


def up() -> int:
    present = [p for p in SERVICES if p.exists]
    progress = Progress(4 + len(present) + 1)
    t = progress("Kafka jars (Maven, cached)")
    ensure_kafka_jars()
    progress.done(t)
    t = progress(f"Kafka (KRaft) on 127.0.0.1:{KAFKA_PORT}")
    node = kafka()
    already = node.running_pid() is not None
    node.start()
    progress.done(t, "already running" if already else "started")
    t = progress(f"PostgreSQL on 127.0.0.1:{PG_PORT}")
    pg = postgres()
    already = pg.running_pid() is not None
    pg.start()
    progress.done(t, "already running" if already else "started")
    t = progress("topics and databases")
    from services.shared import migrations, topics

    namespace = os.environ.get("TONGBAN_TOPIC_NAMESPACE", "")
    created = topics.ensure_topics(node.bootstrap, topics.load(namespace=namespace))
    for process in [*present, GATEWAY]:
        if process.database:
            asyncio.run(migrations.ensure_database(pg.url(process.database)))
    progress.done(t, f"{len(created)} topics created")
    for process in [*present, GATEWAY]:
        t = progress(f"{process.name}")
        if pid_of(process.name) and healthy(process):
            progress.done(t, "already running")
            continue
        start_process(process)
        wait_healthy(process)
        progress.done(t, "healthy")
    print()
    print(f"  Gateway      http://127.0.0.1:{GATEWAY_PORT}/  (health: /healthz)")
    print(f"  Kafka        127.0.0.1:{KAFKA_PORT}")
    print(f"  PostgreSQL   {pg.url()}")
    for process in present:
        print(
            f"  {process.name:<12} grpc 127.0.0.1:{process.grpc_port}"
            f"  metrics http://127.0.0.1:{process.metrics_port}/metrics"
        )
    print(f"  Logs         {LOGS}/   Stop: make down")
    print()
    print(dev_accounts())
    return 0


def dev_accounts() -> str:
    """The development sign-ins the gateway seeded (derived from the stack's secret)."""
    from gateway.seed import dev_credentials

    base = f"http://127.0.0.1:{GATEWAY_PORT}"
    lines = ["  Development accounts (local stack only):"]
    for username, password, role, province in dev_credentials(secrets()["TONGBAN_SESSION_SECRET"]):
        if role == "kiosk":
            lines.append(f"    kiosk {username:<16} {base}/kiosk/?device_key={password}")
        else:
            console = "official" if role in ("official", "supervisor") else "operator"
            lines.append(
                f"    {role:<10} {username:<16} password {password:<18} {base}/{console}/  {province}"
            )
    return "\n".join(lines)


def down() -> int:
    for process in [GATEWAY, *reversed(SERVICES)]:
        pid = pid_of(process.name)
        if pid:
            print(f"stopping {process.name} (pid {pid})")
            terminate(pid)
        (PIDS / f"{process.name}.pid").unlink(missing_ok=True)
    pg = postgres()
    if pg.running_pid():
        print("stopping PostgreSQL")
        pg.stop()
    node = kafka()
    if node.running_pid():
        print("stopping Kafka")
        node.stop()
    print("stack stopped")
    return 0


def status() -> int:
    rows = [
        ("kafka", kafka().running_pid(), f"127.0.0.1:{KAFKA_PORT}", kafka().log_file),
        ("postgres", postgres().running_pid(), f"127.0.0.1:{PG_PORT}", postgres().log_file),
    ]
    for process in [*SERVICES, GATEWAY]:
        port = process.grpc_port or GATEWAY_PORT
        if process.exists or process is GATEWAY:
            rows.append(
                (process.name, pid_of(process.name), f"127.0.0.1:{port}", LOGS / f"{process.name}.log")
            )
    print(f"{'name':<10} {'state':<9} {'pid':>7}  {'address':<16} log")
    for name, pid, address, log in rows:
        port = int(address.rsplit(":", 1)[1])
        state = "up" if pid and port_open(port) else ("starting" if pid else "down")
        print(f"{name:<10} {state:<9} {pid or '-':>7}  {address:<16} {log}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    command = parser.parse_args().command
    try:
        return {"up": up, "down": down, "status": status}[command]()
    except EngineError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
