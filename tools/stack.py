"""The local stack without Docker: `make dev` (up), `make down`, `make status`.

Starts a real single-node Kafka (KRaft) and a private PostgreSQL cluster under .stack/,
creates topics and databases, then every service that exists and the gateway, waits until
each is healthy and prints the URLs.

A process of the stack is known by its working directory, not by a PID file: each service
and the gateway runs in .stack/run/<name>/, Kafka in .stack/kafka/, PostgreSQL in its data
folder. `up` looks for each before starting it, so it never starts a second copy of one
that is alive (one that is alive but not healthy, e.g. while Kafka comes back, is waited
for); `down` stops every process found there, whatever a file says, and checks that none
is left. Every port is checked before anything starts: a taken one is named, with the
process that holds it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cli.textout import Steps
from tools.engines import (
    REPO_ROOT,
    EngineError,
    KafkaNode,
    PostgresNode,
    ensure_kafka_jars,
    pid_alive,
    port_open,
    wait_for,
)
from tools.ports import bindable, command_of, ephemeral_range, is_ephemeral, why_taken

STACK = Path(os.environ.get("TONGBAN_STACK_DIR", REPO_ROOT / ".stack"))
HEALTHY_WITHIN_S = 120.0
INSTANCE_PORT_STEP = 100  # instance i of a service listens on its ports + 100·i


def env_port(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SystemExit(f"tongban: {name}={raw!r} is not a port (1-65535)")
    return int(raw)


@dataclass(frozen=True)
class Port:
    what: str  # "gRPC", "metrics", "HTTP", ...
    number: int
    setting: str  # the environment variable that overrides it


@dataclass(frozen=True)
class Process:
    """One process of the stack: a service instance or the gateway."""

    name: str  # unique in the stack: "intake", or "window-2" for a further instance
    module: str  # what `python -m` runs
    ports: tuple[Port, ...]
    database: str | None = None
    service: str = ""  # the service it is an instance of (its name when empty)

    @property
    def of(self) -> str:
        return self.service or self.name

    def port(self, what: str) -> int | None:
        return next((p.number for p in self.ports if p.what == what), None)

    @property
    def grpc_port(self) -> int | None:
        return self.port("gRPC")

    @property
    def metrics_port(self) -> int | None:
        return self.port("metrics")

    @property
    def exists(self) -> bool:
        folder = REPO_ROOT / Path(*self.module.split("."))
        return (folder / "__main__.py").exists()

    @property
    def workdir(self) -> Path:
        return STACK / "run" / self.name

    @property
    def log_file(self) -> Path:
        return STACK / "logs" / f"{self.name}.log"


def service(
    name: str, grpc: int, metrics: int, database: str | None = None, instances: int = 1
) -> list[Process]:
    """A service's processes, ports overridable by TONGBAN_<NAME>_PORT and
    TONGBAN_<NAME>_METRICS_PORT; further instances are named <name>-2, <name>-3, …"""
    key = name.upper()
    grpc = env_port(f"TONGBAN_{key}_PORT", grpc)
    metrics = env_port(f"TONGBAN_{key}_METRICS_PORT", metrics)
    found = []
    for i in range(instances):
        step = i * INSTANCE_PORT_STEP
        found.append(
            Process(
                name if i == 0 else f"{name}-{i + 1}",
                f"services.{name}",
                (
                    Port("gRPC", grpc + step, f"TONGBAN_{key}_PORT"),
                    Port("metrics", metrics + step, f"TONGBAN_{key}_METRICS_PORT"),
                ),
                database,
                name,
            )
        )
    return found


KAFKA_PORT = env_port("TONGBAN_KAFKA_PORT", 9092)
KAFKA_CONTROLLER_PORT = env_port("TONGBAN_KAFKA_CONTROLLER_PORT", 9093)
PG_PORT = env_port("TONGBAN_PG_PORT", 5433)
GATEWAY_PORT = env_port("TONGBAN_GATEWAY_PORT", 8080)
# Every listening port lies outside the kernel's ephemeral range (32768-60999 by default),
# so no outgoing connection can hold one when its process starts (tools/ports.py).
SERVICES = [
    *service("intake", 7051, 9101, "intake"),
    *service("routing", 7052, 9102),
    *service("window", 7053, 9103),
    *service("results", 7054, 9104, "results"),
]
GATEWAY = Process("gateway", "gateway", (Port("HTTP", GATEWAY_PORT, "TONGBAN_GATEWAY_PORT"),), "gateway")


def processes() -> list[Process]:
    """What `up` starts, in order: the services that exist, then the gateway."""
    return [*(p for p in SERVICES if p.exists), GATEWAY]


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


def database_url(name: str) -> str:
    return f"postgresql://tongban@127.0.0.1:{PG_PORT}/{name}"


def service_env(process: Process) -> dict[str, str]:
    env = dict(os.environ)
    env.update(secrets())
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),  # it runs in its own folder under .stack/run
            "TONGBAN_KAFKA_BOOTSTRAP": f"127.0.0.1:{KAFKA_PORT}",
            "TONGBAN_RECORDINGS_DIR": str(STACK / "recordings"),
            "TONGBAN_BLOB_DIR": str(STACK / "blobs"),
            "TONGBAN_ROUTING_DATA_DIR": str(STACK / "routing"),
            "TONGBAN_POSTGRES_URL": database_url("postgres"),
            # every browser and peer of the local stack is on this machine
            "TONGBAN_LOOPBACK_ICE": "true",
        }
    )
    for other in SERVICES:
        if other.of == other.name:  # the first instance answers for its service
            env[f"TONGBAN_{other.name.upper()}_ADDR"] = f"127.0.0.1:{other.grpc_port}"
    if process.grpc_port:
        env["TONGBAN_GRPC_LISTEN"] = f"127.0.0.1:{process.grpc_port}"
    if process.metrics_port:
        env["TONGBAN_METRICS_LISTEN"] = f"127.0.0.1:{process.metrics_port}"
    if process.database:
        env["TONGBAN_DATABASE_URL"] = database_url(process.database)
    if process is GATEWAY:
        env["TONGBAN_HTTP_LISTEN"] = f"127.0.0.1:{GATEWAY_PORT}"
        env["TONGBAN_ENVIRONMENT"] = "dev"  # plain-HTTP cookies, no HSTS, seeding allowed
        env["TONGBAN_SEED_DEV_ACCOUNTS"] = "true"  # printed by `up` (see dev_accounts)
        env["TONGBAN_SERVICES"] = ",".join(sorted({p.of for p in SERVICES if p.exists}))
    return env


# ------------------------------------------------------------------ the processes running


@dataclass(frozen=True)
class Running:
    """A live process of the stack."""

    name: str  # a Process's name, "kafka" or "postgres"
    pid: int
    command: str


def working_directory(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd").removesuffix(" (deleted)"))
    except OSError:  # gone, or another user's
        return None


def python_module(command: list[str]) -> str | None:
    """The module of a `python -m module` command line."""
    if "-m" in command[:-1] and Path(command[0]).name.startswith("python"):
        return command[command.index("-m") + 1]
    return None


def running(pg: PostgresNode | None = None) -> list[Running]:
    """Every live process of this stack, known by its working directory and command line:
    a service or the gateway in .stack/run/<name> running its module, Kafka in its home,
    PostgreSQL (the server and its workers) in its data folder."""
    pg = pg or postgres()
    known = {p.name: p for p in [*SERVICES, GATEWAY]}
    run, kafka_home, pg_data = (STACK / "run").resolve(), (STACK / "kafka").resolve(), pg.data.resolve()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        cwd = working_directory(pid)
        if cwd is None:
            continue
        try:
            command = [a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0") if a]
        except OSError:
            continue
        if not command:
            continue
        name = None
        if cwd.parent == run and cwd.name in known and python_module(command) == known[cwd.name].module:
            name = cwd.name
        elif cwd == kafka_home and "kafka.Kafka" in command:
            name = "kafka"
        elif cwd == pg_data and (Path(command[0]).name == "postgres" or command[0].startswith("postgres:")):
            name = "postgres"
        if name:
            found.append(Running(name, pid, " ".join(command)[:120]))
    return found


def pids_of(name: str, alive: Iterable[Running]) -> list[int]:
    return sorted(r.pid for r in alive if r.name == name)


def stop_pids(pids: Iterable[int], timeout: float = 20.0) -> list[int]:
    """SIGTERM to all at once, SIGKILL to whoever is still there after `timeout`; returns
    the pids that had to be killed."""
    pids = [p for p in pids if pid_alive(p)]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.1)
    killed = [p for p in pids if pid_alive(p)]
    for pid in killed:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return killed


# ------------------------------------------------------------------ up


def healthy(process: Process) -> bool:
    if process.grpc_port:
        from services.shared.grpcserver import check_health

        return asyncio.run(check_health(f"127.0.0.1:{process.grpc_port}", timeout=1.0))
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{GATEWAY_PORT}/healthz", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def wait_healthy(process: Process, pid: int, timeout: float = HEALTHY_WITHIN_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise EngineError(f"{process.name} exited; see {process.log_file}")
        if healthy(process):
            return
        time.sleep(0.3)
    raise EngineError(
        f"{process.name} (pid {pid}) is running but not healthy after {timeout:.0f}s; see"
        f" {process.log_file}. It was not started a second time: `make down`, then `make dev`."
    )


def start_process(process: Process) -> int:
    process.workdir.mkdir(parents=True, exist_ok=True)
    process.log_file.parent.mkdir(parents=True, exist_ok=True)
    with process.log_file.open("ab") as log:  # the child keeps its own copy of the descriptor
        child = subprocess.Popen(
            [sys.executable, "-m", process.module],
            cwd=process.workdir,  # how `running()` knows it
            env=service_env(process),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return child.pid


def port_problems(wanted: list[tuple[str, Port]]) -> tuple[list[str], list[str]]:
    """(problems, notes) for the ports of what is about to start: taken ones stop `up`,
    ones inside the ephemeral range are worth a note."""
    problems, notes = [], []
    low, high = ephemeral_range()[0], ephemeral_range()[-1]
    for owner, port in wanted:
        if not bindable(port.number):
            problems.append(
                f"{owner} cannot listen on {port.what} port {port.number}: {why_taken(port.number)}."
                f" Stop that process, or choose another port with {port.setting}=<port>."
            )
        elif is_ephemeral(port.number):
            notes.append(
                f"note: {owner}'s {port.what} port {port.number} ({port.setting}) lies in the"
                f" ephemeral range {low}-{high}: an outgoing connection may hold it; pick one outside."
            )
    return problems, notes


def up() -> int:
    pg, node = postgres(), kafka()
    alive = running(pg)
    starting = processes()
    wanted: list[tuple[str, Port]] = []
    if not pids_of("kafka", alive):
        wanted += [
            ("Kafka", Port("broker", KAFKA_PORT, "TONGBAN_KAFKA_PORT")),
            ("Kafka", Port("controller", KAFKA_CONTROLLER_PORT, "TONGBAN_KAFKA_CONTROLLER_PORT")),
        ]
    if not pids_of("postgres", alive):
        wanted.append(("PostgreSQL", Port("server", PG_PORT, "TONGBAN_PG_PORT")))
    wanted += [(p.name, port) for p in starting if not pids_of(p.name, alive) for port in p.ports]
    problems, notes = port_problems(wanted)
    if problems:
        raise EngineError("\n".join(problems))
    for note in notes:
        print(note)

    steps = Steps(4 + len(starting))
    steps.begin("Kafka jars (Maven, cached)")
    ensure_kafka_jars()
    steps.end()
    steps.begin(f"Kafka (KRaft) on 127.0.0.1:{KAFKA_PORT}")
    if pids_of("kafka", alive):
        wait_for(node.ready, 90, "Kafka", node.home / "broker.log")
        steps.end(f"already running (pid {pids_of('kafka', alive)[0]})")
    else:
        node.start()
        steps.end("started")
    steps.begin(f"PostgreSQL on 127.0.0.1:{PG_PORT}")
    if pids_of("postgres", alive):
        steps.end(f"already running (pid {pids_of('postgres', alive)[0]})")
    else:
        pg.start()
        away = f"; its files in {pg.server_home}" if pg.server_home != pg.home else ""
        steps.end(f"started{away}")
    steps.begin("topics and databases")
    from services.shared import migrations, topics

    namespace = os.environ.get("TONGBAN_TOPIC_NAMESPACE", "")
    created = topics.ensure_topics(node.bootstrap, topics.load(namespace=namespace))
    for process in starting:
        if process.database:
            asyncio.run(migrations.ensure_database(database_url(process.database)))
    steps.end(f"{len(created)} topics created")
    # start whatever is missing together (the gateway last: its health asks the services)
    pids: dict[str, tuple[int, bool]] = {}
    for process in starting:
        if process is GATEWAY:
            continue
        found = pids_of(process.name, alive)
        pids[process.name] = (found[0], True) if found else (start_process(process), False)
    for process in starting:
        steps.begin(process.name)
        if process is GATEWAY:
            found = pids_of(process.name, alive)
            pids[process.name] = (found[0], True) if found else (start_process(process), False)
        pid, was_running = pids[process.name]
        wait_healthy(process, pid)
        steps.end(f"already running (pid {pid})" if was_running else f"healthy (pid {pid})")
    print()
    print(f"  Gateway      http://127.0.0.1:{GATEWAY_PORT}/  (health: /healthz)")
    print(f"  Kafka        127.0.0.1:{KAFKA_PORT}")
    print(f"  PostgreSQL   {database_url('postgres')}")
    for process in starting:
        if process.grpc_port:
            print(
                f"  {process.name:<12} grpc 127.0.0.1:{process.grpc_port}"
                f"  metrics http://127.0.0.1:{process.metrics_port}/metrics"
            )
    print(f"  Logs         {STACK / 'logs'}/   Stop: make down")
    print()
    print(dev_accounts())
    return 0


def dev_accounts() -> str:
    """The development sign-ins the gateway seeded (derived from the stack's secret)."""
    from gateway import totp
    from gateway.seed import dev_credentials, dev_totp_key

    base = f"http://127.0.0.1:{GATEWAY_PORT}"
    secret = secrets()["TONGBAN_SESSION_SECRET"]
    lines = ["  Development accounts (local stack only):"]
    for username, password, role, province in dev_credentials(secret):
        if role == "kiosk":  # the key in the fragment: browsers never send it to a server
            lines.append(f"    kiosk {username:<16} {base}/kiosk/#device_key={password}")
        else:
            console = {"official": "official", "supervisor": "official", "admin": "admin"}.get(
                role, "operator"
            )
            lines.append(
                f"    {role:<10} {username:<16} password {password:<18} {base}/{console}/  {province}"
            )
            key = dev_totp_key(secret, username)
            if key is not None:  # administrators and supervisors sign in with a second factor
                lines.append(f"               TOTP key for an authenticator app: {totp.secret_text(key)}")
    return "\n".join(lines)


# ------------------------------------------------------------------ down, status, clean


def down() -> int:
    pg = postgres()
    alive = running(pg)
    own = [r for r in alive if r.name not in ("kafka", "postgres")]
    if own:
        print("stopping " + ", ".join(f"{r.name} (pid {r.pid})" for r in own))
        for pid in stop_pids(r.pid for r in own):
            print(f"  pid {pid} did not stop within 20s: killed")
    if pids_of("postgres", alive):
        print("stopping PostgreSQL")
        try:
            pg.stop()
        except EngineError as error:  # the sweep below takes what pg_ctl could not
            print(f"  {error}")
    if pids_of("kafka", alive):
        print("stopping Kafka")
        kafka().stop()
    left = running(pg)
    if left:  # whatever the orderly stops missed (a server that hung, an orphan)
        print("killing what is left: " + ", ".join(f"{r.name} (pid {r.pid})" for r in left))
        stop_pids((r.pid for r in left), timeout=5.0)
        left = running(pg)
    shutil.rmtree(STACK / "pids", ignore_errors=True)  # from before processes were found by folder
    if left:
        for r in left:
            print(f"still running: {r.name} pid {r.pid}: {command_of(r.pid)}", file=sys.stderr)
        return 1
    print("stack stopped: no process of it runs")
    return 0


def status() -> int:
    pg = postgres()
    alive = running(pg)
    rows: list[tuple[str, list[int], int, Path]] = [
        ("kafka", pids_of("kafka", alive), KAFKA_PORT, kafka().log_file),
        ("postgres", pids_of("postgres", alive)[:1], PG_PORT, pg.log_file),
    ]
    for process in processes():
        port = process.grpc_port or GATEWAY_PORT
        rows.append((process.name, pids_of(process.name, alive), port, process.log_file))
    print(f"{'name':<10} {'state':<9} {'pid':>7}  {'address':<16} log")
    for name, pids, port, log in rows:
        state = "up" if pids and port_open(port) else ("starting" if pids else "down")
        shown = ",".join(map(str, pids)) or "-"
        print(f"{name:<10} {state:<9} {shown:>7}  {'127.0.0.1:' + str(port):<16} {log}")
    return 0


def clean() -> int:
    """Stops the stack and deletes its files (the PostgreSQL cluster's too, wherever it is)."""
    stopped = down()
    if stopped != 0:
        return stopped
    postgres().remove()
    shutil.rmtree(STACK, ignore_errors=True)
    print(f"removed {STACK}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "clean"])
    command = parser.parse_args().command
    try:
        return {"up": up, "down": down, "status": status, "clean": clean}[command]()
    except EngineError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
