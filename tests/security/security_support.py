"""What the security tests share beyond tests/gateway/gateway_support.py: one queue province
for every test that queues a case (each test leaves nothing waiting and its official
offline), coturn started with the deployment's own arguments, services as processes whose
log the test reads, a TURN client, UDP listeners that count what reaches them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.stack import healthy
from tests.gateway.gateway_support import RunningGateway, staff
from tools.engines import free_port, port_open

ROOT = Path(__file__).resolve().parents[2]
TURN_SECRET = "security-turn-secret"


class QueueProvince:
    """The one province the security tests queue cases in (their stack has a topic namespace
    of its own, so no other package's routing sees it). Tests take turns: a test's official
    goes offline when it is done and every case it submitted is accepted or cancelled, so
    nothing waits for the next test."""

    code = "440000"

    @classmethod
    def get(cls) -> str:
        return cls.code


@contextlib.asynccontextmanager
async def on_duty(gateway: RunningGateway, province: str) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh official of `province`, signed in; offline again afterwards."""
    async with staff(gateway, "official", province) as official:
        try:
            yield official
        finally:
            with contextlib.suppress(httpx.HTTPError):
                await official.post("/api/v1/official/presence", json={"presence": "offline"})


# ---------------------------------------------------------------------------- TURN


def compose_turn_args() -> list[str]:
    """The coturn command of docker-compose.yml, as deployed."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    args: list[str] = list(compose["services"]["coturn"]["command"])
    return args


@dataclass
class Turn:
    url: str
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def turn_as_compose(folder: Path, media_address: str = "127.0.0.1") -> Iterator[Turn]:
    """Debian's coturn with docker-compose.yml's arguments (its denied peers among them),
    on this machine: listening and relaying on 127.0.0.1, whose address stands in for the
    compose media network (the one allowed peer range), checking TURN_SECRET."""
    binary = shutil.which("turnserver")
    assert binary, "coturn's turnserver is missing: tools/bootstrap.sh installs it"
    port = free_port()
    low = random.randrange(40_000, 60_000, 50)
    args = []
    for arg in compose_turn_args():
        name = arg.split("=", 1)[0]
        if name in ("--listening-port", "--min-port", "--max-port", "--log-file", "--static-auth-secret"):
            continue
        if name == "--allowed-peer-ip":
            arg = f"--allowed-peer-ip={media_address}"
        args.append(arg)
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "turn.log"
    process = subprocess.Popen(
        [
            binary,
            *args,
            f"--static-auth-secret={TURN_SECRET}",
            f"--listening-port={port}",
            f"--min-port={low}",
            f"--max-port={low + 49}",
            "--listening-ip=127.0.0.1",
            f"--relay-ip={media_address}",
            # Debian's coturn refuses every loopback peer unless told otherwise; the denied
            # ranges (127.0.0.0/8 among them) and the allowed media address then decide
            "--allow-loopback-peers",
            f"--pidfile={folder / 'turn.pid'}",
            f"--log-file={log}",
            "--simple-log",
            "--verbose",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_open(port):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[
                -2000:
            ]
            time.sleep(0.1)
        yield Turn(f"turn:127.0.0.1:{port}?transport=udp", port, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# ---------------------------------------------------------------------------- processes


@dataclass
class Service:
    address: str
    pid: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def service(module: str, env: dict[str, str], folder: Path, timeout: float = 90) -> Iterator[Service]:
    """`python -m module` on a free port with `env`, its output in folder/service.log."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(
        env,
        TONGBAN_GRPC_LISTEN=f"127.0.0.1:{port}",
        TONGBAN_METRICS_LISTEN=f"127.0.0.1:{free_port()}",
        TONGBAN_RECORDINGS_DIR=str(folder / "recordings"),
        TONGBAN_BLOB_DIR=str(folder / "blobs"),
    )
    log = folder / "service.log"
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", module], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not healthy(address):
            assert child.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[
                -3000:
            ]
            time.sleep(0.3)
        yield Service(address, child.pid, log)
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=10)


# ---------------------------------------------------------------------------- UDP


@dataclass
class Listener(asyncio.DatagramProtocol):
    """A UDP port standing for an internal service an attacker aims the window at."""

    received: list[tuple[bytes, tuple[str, int]]] = field(default_factory=list)
    transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append((data, addr))

    @property
    def port(self) -> int:
        return int(self.transport.get_extra_info("sockname")[1])


@contextlib.asynccontextmanager
async def listening(host: str) -> AsyncIterator[Listener]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(Listener, local_addr=(host, 0))
    try:
        yield protocol
    finally:
        transport.close()


def unique_request() -> str:
    return str(uuid.uuid4())


def environment_without_tongban() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
