"""`make dev` / `make down` (tools/stack.py) as a developer runs them, on ports of their own:
`up` never starts a second copy of a process that is alive, even one that is unhealthy while
Kafka comes back; `down` leaves no process of the stack, found by the processes' working
directories (not by what a PID file says); a taken port is named with its holder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.engines import REPO_ROOT, free_port, pid_alive

pytestmark = pytest.mark.integration  # the whole local stack, as processes


def stack_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, TONGBAN_STACK_DIR=str(home), PYTHONPATH=str(REPO_ROOT))
    for name in ("KAFKA", "KAFKA_CONTROLLER", "PG", "GATEWAY"):
        env[f"TONGBAN_{name}_PORT"] = str(free_port())
    for name in ("INTAKE", "ROUTING", "WINDOW", "RESULTS"):
        env[f"TONGBAN_{name}_PORT"] = str(free_port())
        env[f"TONGBAN_{name}_METRICS_PORT"] = str(free_port())
    env.pop("TONGBAN_TOPIC_NAMESPACE", None)
    return env


def stack(command: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.stack", command],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def processes_in(home: Path) -> dict[int, str]:
    """Every process of the stack in `home`, looked up here independently of tools/stack.py:
    its working directory lies in `home` (or in its PostgreSQL's folder, wherever that is),
    or it was started with TONGBAN_STACK_DIR=`home` in its environment."""
    roots = [home.resolve()]
    server = home / "postgres" / "server"
    if server.is_symlink():
        roots.append(server.resolve())
    marker = f"TONGBAN_STACK_DIR={home}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd").removesuffix(" (deleted)"))
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(cwd == root or root in cwd.parents for root in roots) or marker in environment:
            found[int(entry.name)] = command
    return found


def pids_named(home: Path, marker: str) -> list[int]:
    return sorted(pid for pid, command in processes_in(home).items() if marker in command)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / ".stack"
    yield path
    # whatever a failed run left: never leave a stack behind
    for pid in processes_in(path):
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    subprocess.run(
        [sys.executable, "-m", "tools.stack", "clean"],
        cwd=REPO_ROOT,
        env=dict(os.environ, TONGBAN_STACK_DIR=str(path)),
        capture_output=True,
        timeout=120,
    )


def test_up_twice_and_after_a_broker_crash_never_doubles_and_down_leaves_nothing(home: Path) -> None:
    env = stack_env(home)
    first = stack("up", env)
    assert first.returncode == 0, first.stdout + first.stderr
    gateway = pids_named(home, "-m gateway")
    intake = pids_named(home, "-m services.intake")
    assert len(gateway) == 1 and len(intake) == 1, processes_in(home)

    again = stack("up", env)  # the stack runs: nothing is started twice
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("already running") >= 6, again.stdout
    assert pids_named(home, "-m gateway") == gateway and pids_named(home, "-m services.intake") == intake

    # the broker dies; the gateway lives on, unhealthy until Kafka is back: `make dev` again
    # brings Kafka back and must not start a second gateway
    (broker,) = pids_named(home, "kafka.Kafka")
    os.kill(broker, signal.SIGKILL)
    while pid_alive(broker):
        time.sleep(0.1)
    back = stack("up", env)
    assert back.returncode == 0, back.stdout + back.stderr
    assert "Kafka (KRaft)" in back.stdout and len(pids_named(home, "kafka.Kafka")) == 1
    assert pids_named(home, "-m gateway") == gateway, "a second gateway was started"

    # a PID file that lies does not matter: down finds the processes by their folders
    (home / "pids").mkdir(exist_ok=True)
    (home / "pids" / "gateway.pid").write_text("1")
    down = stack("down", env)
    assert down.returncode == 0, down.stdout + down.stderr
    assert processes_in(home) == {}, processes_in(home)
    assert "no process of it runs" in down.stdout


def test_up_names_a_taken_port_and_what_holds_it(home: Path) -> None:
    env = stack_env(home)
    taken = int(env["TONGBAN_GATEWAY_PORT"])
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", taken))
        holder.listen()
        refused = stack("up", env, timeout=120)
    assert refused.returncode == 1
    message = refused.stderr
    assert f"HTTP port {taken}" in message and f"pid {os.getpid()}" in message, message
    assert "listening" in message and "TONGBAN_GATEWAY_PORT" in message
    assert processes_in(home) == {}  # nothing was started
