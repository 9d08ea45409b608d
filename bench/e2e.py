"""`make bench-e2e`: whole journeys through every real service at fixed arrival rates.

Private Kafka and PostgreSQL (durable settings), the four services as their own processes
(`python -m services.X`, as `make dev` runs them), the Kafka floor measured first in the
same run (bench/kafka.py), then `tongban simulate` at each rate for a fixed time. It
writes the per-stage latency table (docs/benchmarks/e2e.md) and chart (e2e.png). The
simulator's applicants and bots run in this process, on the same cores as the services.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench import kafka as bench_kafka
from bench.kit import kafka_for_bench, machine, postgres_for_bench
from bench.stack import bench_env, service_process
from cli import chart
from cli.journey import Stubs
from cli.population import Shares
from cli.simulate import Report, Settings, simulate
from cli.stages import SPAN_HEADER
from cli.textout import table
from services.shared import topics
from services.shared.migrations import with_database
from tools.engines import REPO_ROOT

OUT = REPO_ROOT / "docs" / "benchmarks"


def load() -> str:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return f"load average {one}, {five}, {fifteen}"


def summary_row(report: Report) -> list[object]:
    volumes = dict(report.volumes())
    closed = volumes["journeys closed"]
    return [
        f"{report.settings.rate:g}/s",
        volumes["journeys started"],
        closed,
        volumes["stuck or failed"],
        volumes["approved"],
        volumes["rejected (reason and legal basis)"],
        volumes["补正 rounds"],
        f"{report.elapsed_s:.0f} s",
        f"{closed / report.elapsed_s:.2f}/s" if report.elapsed_s else "-",
    ]


SUMMARY_HEADER = [
    "rate",
    "started",
    "closed",
    "stuck",
    "approved",
    "rejected",
    "补正 rounds",
    "elapsed",
    "closed/s",
]


@contextlib.contextmanager
def services(kafka: str, postgres: str) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:6]
    env = bench_env(kafka)
    env.update(
        TONGBAN_LOOPBACK_ICE="true",
        TONGBAN_WORKER_NAME=f"routing-bench-{suffix}",
        TONGBAN_ROUTING_DATA_DIR=tempfile.mkdtemp(prefix="tongban-bench-routing-"),
    )
    with contextlib.ExitStack() as processes:
        addresses: dict[str, str] = {
            "intake": processes.enter_context(
                service_process(
                    "services.intake",
                    dict(env, TONGBAN_DATABASE_URL=with_database(postgres, f"intake_{suffix}")),
                )
            ),
            "results": processes.enter_context(
                service_process(
                    "services.results",
                    dict(env, TONGBAN_DATABASE_URL=with_database(postgres, f"results_{suffix}")),
                )
            ),
            "routing": processes.enter_context(service_process("services.routing", env, timeout=90)),
            "window": processes.enter_context(service_process("services.window", env)),
        }
        yield addresses


async def run_rates(addresses: dict[str, str], kafka: str, args: argparse.Namespace) -> list[Report]:
    stubs = Stubs.connect(addresses)
    reports = []
    for rate in args.rates:
        print(f"  simulate at {rate:g}/s for {args.duration:g} s ...", file=sys.stderr, flush=True)
        settings = Settings(
            halls=args.halls,
            officials=args.officials,
            rate=rate,
            duration=args.duration,
            seed=args.seed,
            shares=Shares(args.supplement_share, args.reject_share),
            timeout_s=args.timeout,
        )
        reports.append(await simulate(settings, stubs, kafka))
    return reports


def markdown(
    args: argparse.Namespace,
    before: str,
    after: str,
    floor: bench_kafka.Floor,
    reports: list[Report],
    command: str,
) -> str:
    blocks = [
        "# make bench-e2e — figures from one run",
        "",
        f"`{command}`",
        "",
        f"machine: {machine()}  ",
        f"{before} before, {after} after",
        "",
        "```",
        table(
            "Kafka floor (kafka-python, the same private broker)",
            ["measure", "rate / p50", "throughput / p99"],
            floor.rows(),
        ),
        "",
        table(
            f"Journeys ({args.halls} halls, {args.officials} bot officials, "
            f"{args.duration:g} s of Poisson arrivals per rate; 补正 share "
            f"{args.supplement_share:g}, rejections {args.reject_share:g})",
            SUMMARY_HEADER,
            [summary_row(r) for r in reports],
        ),
    ]
    for report in reports:
        blocks += [
            "",
            table(
                f"Per-stage latency at {report.settings.rate:g}/s (event times)",
                SPAN_HEADER,
                [s.row() for s in report.spans],
            ),
        ]
    blocks += ["```", "", "![per-stage latency](e2e.png)", ""]
    return "\n".join(blocks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rates",
        type=lambda t: [float(r) for r in t.split(",")],
        default=[0.5, 1.0, 2.0],
        help="applicants a second, e.g. 0.5,1,2",
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds per rate")
    parser.add_argument("--halls", type=int, default=8)
    parser.add_argument("--officials", type=int, default=16)
    parser.add_argument("--supplement-share", type=float, default=0.1)
    parser.add_argument("--reject-share", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if any(r <= 0 for r in args.rates) or args.duration <= 0:
        parser.error("rates and duration must be positive")
    command = "make bench-e2e" if len(sys.argv) == 1 else "python -m bench.e2e " + shlex.join(sys.argv[1:])
    print(f"machine: {machine()}")
    before = load()
    print(before)
    with kafka_for_bench() as kafka, postgres_for_bench() as postgres:
        topics.ensure_topics(kafka, topics.load())
        floor = bench_kafka.measure(kafka)
        with services(kafka, postgres) as addresses:
            reports = asyncio.run(run_rates(addresses, kafka, args))
    after = load()
    text = markdown(args, before, after, floor, reports, command)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "e2e.md").write_text(text, encoding="utf-8")
    chart.render(
        args.out / "e2e.png",
        "make bench-e2e: per-stage latency of whole journeys",
        f"{args.halls} halls, {args.officials} bot officials, {args.duration:g} s per rate; {machine()}",
        [(f"{r.settings.rate:g}/s", r.spans) for r in reports],
    )
    print(text)
    print(f"written: {os.path.relpath(args.out / 'e2e.md')}, {os.path.relpath(args.out / 'e2e.png')}")


if __name__ == "__main__":
    main()
