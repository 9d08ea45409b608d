"""Text output shared by the operators' CLI, the benchmarks and the local stack: progress
lines for long operations, percentiles, and tables that line up with CJK text."""

from __future__ import annotations

import sys
import time
import unicodedata
from collections.abc import Sequence


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
            sys.stderr.write(
                f"\r  {self.label:<34} [{'#' * filled:<30}] {100 * self.done / self.total:5.1f}%"
            )
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


class Steps:
    """Numbered steps of a long operation, each line finished with its outcome and time:
    `[3/8] PostgreSQL on 127.0.0.1:5433 ... started (2.1s)`."""

    def __init__(self, total: int) -> None:
        self.total, self.step = total, 0
        self._started = 0.0

    def begin(self, text: str) -> None:
        self.step += 1
        self._started = time.monotonic()
        print(f"[{self.step}/{self.total}] {text} ...", end=" ", flush=True)

    def end(self, note: str = "ok") -> float:
        """Finishes the current step's line; the seconds it took."""
        elapsed = time.monotonic() - self._started
        print(f"{note} ({elapsed:.1f}s)", flush=True)
        return elapsed


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
