"""Where the cores go during a benchmark phase: CPU seconds of the client (this process), the
intake process(es) and the PostgreSQL cluster, read from /proc (Linux only)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields after the command name


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """User + system time of each live process (all its threads)."""
    found = {}
    for pid in pids:
        fields = _stat(pid)
        if fields:
            found[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return found


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings; a process started in between counts whole."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def postgres_cluster(backend_pid: int) -> list[int]:
    """The postmaster of a backend and every process it started (backends, WAL writer …)."""
    fields = _stat(backend_pid)
    if not fields:
        return []
    postmaster = int(fields[1])
    return [postmaster, *children(postmaster)]


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (every user's processes)."""
    with contextlib.suppress(OSError):
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return (sum(values[:8]) - idle) / TICK
    return 0.0
