"""Listening ports outside the ephemeral range, and what holds a taken port."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tools import ports
from tools.ports import free_block, free_port


def test_the_ephemeral_range_and_reserved_ports_are_read_from_the_kernel(tmp_path: Path) -> None:
    (tmp_path / "range").write_text("32768\t60999\n")
    (tmp_path / "reserved").write_text("8080,40000-40002\n")
    assert ports.ephemeral_range(tmp_path / "range") == range(32768, 61000)
    assert ports.reserved_ports(tmp_path / "reserved") == {8080, 40000, 40001, 40002}
    assert ports.reserved_ports(tmp_path / "missing") == set()
    assert ports.ephemeral_range(tmp_path / "missing") == range(32768, 61000)  # Linux's default


def test_picked_ports_lie_outside_the_ephemeral_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ports, "ephemeral_range", lambda: range(25000, 32768))
    monkeypatch.setattr(ports, "reserved_ports", lambda: {26000})
    picked = ports.candidates((20000, 32767))
    assert set(picked) == set(range(20000, 25000)) | {26000}
    for _ in range(50):
        port = free_port()
        assert port < 25000 or port == 26000
    start = free_block(10)
    assert start % 10 == 0 and start + 9 < 25000


def test_the_default_picks_are_outside_this_machines_range() -> None:
    ephemeral = ports.ephemeral_range()
    assert all(free_port() not in ephemeral for _ in range(50))


@pytest.mark.integration  # real sockets on loopback
def test_a_listening_port_is_explained_with_its_process() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", free_port()))
        server.listen()
        port = server.getsockname()[1]
        assert not ports.bindable(port)
        said = ports.why_taken(port)
    assert said == f"port {port} is taken by pid {os.getpid()} ({ports.command_of(os.getpid())}), listening"


@pytest.mark.integration  # real sockets on loopback
def test_a_port_held_by_an_outgoing_connection_is_explained() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", free_port()))
        server.listen()
        with socket.socket() as client:
            local = free_port()
            client.bind(("127.0.0.1", local))  # as a connection's ephemeral port would be
            client.connect(server.getsockname())
            said = ports.why_taken(local)
    assert f"pid {os.getpid()}" in said and "connected connection to 127.0.0.1:" in said, said
