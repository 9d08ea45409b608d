"""What every benchmark shares: the machine's figures, progress lines, percentiles, tables,
and an engine to measure against (the running stack's, or a private one it starts)."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

from tools.engines import KafkaNode, PostgresNode, free_port


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({model}), {mem_gib:.0f} GiB, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class Progress:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self._last = label, max(1, total), 0, 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not sys.stderr.isatty():  # logs get a line per tenth instead of redraws
            tenth = 10 * self.done // self.total
            if tenth > self._last:
                self._last = tenth
                print(f"  {self.label}: {10 * tenth}%", file=sys.stderr, flush=True)
            return
        now = time.monotonic()
        if now - self._last > 0.1 or self.done >= self.total:
            self._last = now
            filled = int(30 * self.done / self.total)
            sys.stderr.write(f"\r  {self.label:<34} [{'#' * filled:<30}] "
                             f"{100 * self.done / self.total:5.1f}%")
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters (补正, 优先办) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in header]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(header))]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [title, line]

    def pad(text: str, column: int, left: bool) -> str:
        room = " " * (widths[column] - width(text))
        return text + room if left else room + text

    for i, row in enumerate(cells):
        out.append("| " + " | ".join(pad(c, j, j == 0) for j, c in enumerate(row)) + " |")
        if i == 0:
            out.append(line)
    out.append(line)
    return "\n".join(out)


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@contextlib.contextmanager
def kafka_for_bench() -> Iterator[str]:
    """TONGBAN_KAFKA_BOOTSTRAP if set (e.g. the `make dev` stack), else a private broker."""
    if os.environ.get("TONGBAN_KAFKA_BOOTSTRAP"):
        yield os.environ["TONGBAN_KAFKA_BOOTSTRAP"]
        return
    home = Path(tempfile.mkdtemp(prefix="tongban-bench-kafka-"))
    node = KafkaNode(home, free_port(), free_port())
    print("  starting a private Kafka broker ...", file=sys.stderr, flush=True)
    node.start()
    try:
        yield node.bootstrap
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def postgres_for_bench() -> Iterator[str]:
    """TONGBAN_POSTGRES_URL if set, else a private cluster (durable settings, like production)."""
    if os.environ.get("TONGBAN_POSTGRES_URL"):
        yield os.environ["TONGBAN_POSTGRES_URL"]
        return
    home = Path(tempfile.mkdtemp(prefix="tongban-bench-pg-"))
    os.chmod(home, 0o755)
    node = PostgresNode(home / "pg", free_port())
    print("  starting a private PostgreSQL cluster ...", file=sys.stderr, flush=True)
    node.start()
    try:
        yield node.url()
    finally:
        node.stop(mode="immediate")
        shutil.rmtree(home, ignore_errors=True)
