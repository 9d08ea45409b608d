"""Listening ports outside Linux's ephemeral range, and who holds a port that is taken.

The kernel gives every outgoing connection a local port from the ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default). A server that listens on
a port inside that range can find it held by a connection some process opened a moment
earlier (to Kafka, to PostgreSQL), and fail to bind while nothing listens there. So the
stack's fixed ports and the ports the tests pick all lie outside it: nothing but a listener
can ever hold them.
"""

from __future__ import annotations

import os
import random
import socket
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
EPHEMERAL_RANGE = PROC / "sys" / "net" / "ipv4" / "ip_local_port_range"
RESERVED_PORTS = PROC / "sys" / "net" / "ipv4" / "ip_local_reserved_ports"
# Where the tests, benchmarks and engines' inner servers pick their ports: above the fixed
# ports of `make dev` (at most 9104) and below the default ephemeral range.
PICK_FROM = (20000, 32767)
# /proc/net/tcp's states that hold a port against a new listener; TIME_WAIT (06) does not
# (servers bind with SO_REUSEADDR) and belongs to no process
TCP_STATES = {
    "0A": "listening",
    "01": "connected",
    "02": "connecting",
    "03": "connecting",
    "04": "closing",
    "05": "closing",
    "07": "closing",
    "08": "closing",
    "09": "closing",
    "0B": "closing",
}


class NoPortLeft(RuntimeError):
    """The band has no free port outside the ephemeral range."""


def ephemeral_range(path: Path = EPHEMERAL_RANGE) -> range:
    """The ports the kernel hands to outgoing connections (unless reserved)."""
    try:
        low, high = (int(part) for part in path.read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    return range(low, high + 1)


def reserved_ports(path: Path = RESERVED_PORTS) -> set[int]:
    """Ports an administrator excluded from the ephemeral range ("8080,9000-9010")."""
    found: set[int] = set()
    try:
        text = path.read_text().strip()
    except OSError:
        return found
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        found.update(range(int(low), int(high or low) + 1))
    return found


def is_ephemeral(port: int) -> bool:
    """Whether an outgoing connection may be given `port` (so a listener may find it taken)."""
    return port in ephemeral_range() and port not in reserved_ports()


def bindable(port: int, host: str = "127.0.0.1", udp: bool = False) -> bool:
    """Whether a server could listen on `port` now: bound as servers bind (SO_REUSEADDR, so
    the TIME_WAIT remains of a stopped server's connections do not count)."""
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        if not udp:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def candidates(band: tuple[int, int] = PICK_FROM) -> list[int]:
    """The band's ports outside the ephemeral range, in random order (so processes picking at
    the same time rarely try the same one)."""
    ephemeral, reserved = ephemeral_range(), reserved_ports()
    ports = [p for p in range(band[0], band[1] + 1) if p not in ephemeral or p in reserved]
    random.shuffle(ports)
    return ports


def free_port(band: tuple[int, int] = PICK_FROM) -> int:
    """A port nothing holds now, outside the ephemeral range. (Binding port 0 instead would
    hand out an ephemeral port: the very thing to avoid.)"""
    for port in candidates(band)[:2000]:
        if bindable(port):
            return port
    raise NoPortLeft(f"no free port in {band[0]}-{band[1]} outside the ephemeral range")


def free_block(size: int, band: tuple[int, int] = PICK_FROM) -> int:
    """The first of `size` consecutive ports free for UDP and TCP, outside the ephemeral range
    (a TURN server's relay ports)."""
    allowed = set(candidates(band))
    starts = [p for p in allowed if p % size == 0 and all(q in allowed for q in range(p, p + size))]
    random.shuffle(starts)
    for start in starts[:500]:
        block = range(start, start + size)
        if all(bindable(p) and bindable(p, udp=True) for p in block):
            return start
    raise NoPortLeft(f"no {size} free consecutive ports in {band[0]}-{band[1]}")


@dataclass(frozen=True)
class Holder:
    """A process holding a local port, and how."""

    pid: int | None
    command: str
    state: str  # listening, connected, closing
    remote: str  # the other end of a connection

    def __str__(self) -> str:
        who = f"pid {self.pid} ({self.command})" if self.pid else "a process this user cannot see"
        if self.state == "listening":
            return f"{who}, listening"
        return f"{who}, by its {self.state} connection to {self.remote}"


def _address(hex_address: str) -> tuple[str, int]:
    host, port = hex_address.split(":")
    if len(host) == 8:
        ip = socket.inet_ntop(socket.AF_INET, bytes.fromhex(host)[::-1])
    else:
        words = [bytes.fromhex(host[i : i + 8])[::-1] for i in range(0, 32, 8)]
        ip = socket.inet_ntop(socket.AF_INET6, b"".join(words))
    return ip, int(port, 16)


def _socket_owners() -> dict[str, int]:
    """Socket inode -> pid, for every process whose descriptors this user may read."""
    owners: dict[str, int] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    owners[target[8:-1]] = int(entry.name)
        except OSError:  # gone, or not ours to read
            continue
    return owners


def command_of(pid: int) -> str:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "?"
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)[:160]


def holders(port: int) -> list[Holder]:
    """Every TCP socket whose local port is `port`, with its process where visible."""
    found: list[tuple[str, str, str]] = []
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if _address(local)[1] != port or state not in TCP_STATES or inode == "0":
                continue
            host, remote_port = _address(remote)
            found.append((inode, TCP_STATES[state], f"{host}:{remote_port}"))
    owners = _socket_owners() if found else {}
    result = []
    for inode, state, remote in found:
        pid = owners.get(inode)
        result.append(Holder(pid, command_of(pid) if pid else "?", state, remote))
    return result


def why_taken(port: int) -> str:
    """A sentence for an operator: what holds `port`."""
    found = holders(port)
    if not found:
        return f"port {port} is taken (no TCP socket on it is visible; another user's, or UDP)"
    return f"port {port} is taken by " + "; ".join(str(h) for h in found)
