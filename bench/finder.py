"""`make bench-finder`: the matter finder's accuracy over the measuring sets (top-1 and
top-3 per kind of query) and its latency per query (p50/p99), in process: the index is
pure, so nothing but the search itself is timed. The tests assert the accuracy floor
(tests/intake/test_intake_finder_accuracy.py); latency is reported, never asserted."""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.kit import machine
from cli.textout import percentile, table
from services.intake.finder import MatterIndex, index_for, lexicon
from services.intake.finder.serve import offered
from services.shared.catalog import load_catalog

DATA = Path(__file__).resolve().parent.parent / "tests" / "intake" / "data"
SETS = {"written first": DATA / "finder_queries.tsv", "held out": DATA / "finder_queries_heldout.tsv"}
KIOSK_HALL = "hall-340104-01"  # Hefei: what its kiosk may offer is what the sets measure


@dataclass(frozen=True)
class Query:
    kind: str
    expected: str
    text: str


@dataclass
class Tally:
    queries: int = 0
    top1: int = 0
    top3: int = 0

    def add(self, rank: int | None) -> None:
        self.queries += 1
        self.top1 += rank == 0
        self.top3 += rank is not None and rank < 3

    def rates(self) -> tuple[float, float]:
        return self.top1 / max(1, self.queries), self.top3 / max(1, self.queries)


def load(path: Path) -> list[Query]:
    """kind, expected matter code, query: tab-separated, after '#' comments and a header."""
    lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")
    ]
    return [Query(*line.split("\t")) for line in lines[1:]]


def rank_of(index: MatterIndex, query: Query, allowed: set[str]) -> int | None:
    codes = [hit.matter.code for hit in index.search(query.text, allowed=allowed, limit=10)]
    return codes.index(query.expected) if query.expected in codes else None


def measure(index: MatterIndex, queries: list[Query], allowed: set[str]) -> dict[str, Tally]:
    """Per kind of query and "all": how often the expected matter came first, or in the first three."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for query in queries:
        rank = rank_of(index, query, allowed)
        tallies[query.kind].add(rank)
        tallies["all"].add(rank)
    return dict(tallies)


def misses(index: MatterIndex, queries: list[Query], allowed: set[str]) -> list[tuple[Query, list[str]]]:
    """The queries whose expected matter is not in the first three, with what came instead."""
    found = []
    for query in queries:
        rank = rank_of(index, query, allowed)
        if rank is None or rank >= 3:
            found.append((query, [h.matter.code for h in index.search(query.text, allowed=allowed, limit=3)]))
    return found


def latency(index: MatterIndex, queries: list[Query], allowed: set[str], rounds: int) -> list[list[float]]:
    """Seconds per query, per pass; the first pass meets every word for the first time."""
    passes = []
    for _ in range(rounds):
        seconds = []
        for query in queries:
            started = time.perf_counter()
            index.search(query.text, allowed=allowed)
            seconds.append(time.perf_counter() - started)
        passes.append(seconds)
    return passes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over every query")
    args = parser.parse_args()
    catalog = load_catalog()
    started = time.perf_counter()
    index = index_for(catalog)
    built = time.perf_counter() - started
    allowed = offered(catalog, KIOSK_HALL)
    print(machine())
    everything: list[Query] = []
    for name, path in SETS.items():
        queries = load(path)
        everything += queries
        tallies = measure(index, queries, allowed)
        rows = [
            [kind, t.queries, f"{100 * t.rates()[0]:.1f} %", f"{100 * t.rates()[1]:.1f} %"]
            for kind, t in sorted(tallies.items(), key=lambda kv: (kv[0] == "all", kv[0]))
        ]
        print(
            table(
                f"Matter finder accuracy, {name} ({path.name})", ["kind", "queries", "top-1", "top-3"], rows
            )
        )
        for query, instead in misses(index, queries, allowed):
            print(f"  not in the first three: {query.text!r} → expected {query.expected}, got {instead}")
    fresh = MatterIndex(catalog, lexicon.load(catalog))  # its word memo still empty
    passes = latency(fresh, everything, allowed, max(2, args.rounds))
    rows = []
    for label, seconds in (
        ("first pass (words new)", passes[0]),
        ("later passes", [s for p in passes[1:] for s in p]),
    ):
        ms = [1000 * s for s in seconds]
        rows.append(
            [
                label,
                len(ms),
                f"{percentile(ms, 50):.2f} ms",
                f"{percentile(ms, 99):.2f} ms",
                f"{max(ms):.2f} ms",
            ]
        )
    print(
        table(
            f"Matter finder latency per query (in process; index built in {built:.2f} s)",
            ["queries", "timed", "p50", "p99", "max"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
