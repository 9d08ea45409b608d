"""`make bench-intake`: concurrent gRPC clients create, upload to and submit applications
against a real intake process (PostgreSQL, outbox relay to Kafka), beside the raw grpc.aio
empty-call rate measured in the same run.

Uses the engines named by TONGBAN_KAFKA_BOOTSTRAP / TONGBAN_POSTGRES_URL, else private ones.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import date

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench import cpusplit
from bench.kit import kafka_for_bench, machine, postgres_for_bench
from bench.stack import bench_env, service_process
from cli.idgen import random_id_number
from cli.textout import Progress, percentile, table
from services.shared.migrations import with_database
from tongban.intake.v1 import intake_pb2, intake_pb2_grpc

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(4096)
MATTER = "TX-TAX-PROOF"  # one key material (the ID card): create, one upload, submit


async def empty_calls(address: str, concurrency: int, seconds: float) -> tuple[float, list[float]]:
    """grpc.aio health checks: the floor for any unary call on this machine."""
    latencies: list[float] = []
    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await stub.Check(health_pb2.HealthCheckRequest())
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(latencies) / (time.perf_counter() - started), latencies


async def applications(
    address: str, concurrency: int, seconds: float
) -> tuple[float, dict[str, list[float]]]:
    rng = random.Random(7)
    latencies: dict[str, list[float]] = {"create": [], "upload": [], "submit": [], "journey": []}
    done = 0
    progress = Progress(f"applications x{concurrency} clients", int(seconds * 10))
    async with grpc.aio.insecure_channel(address) as channel:
        stub = intake_pb2_grpc.IntakeServiceStub(channel)
        deadline = time.perf_counter() + seconds

        async def timed(name: str, call: object) -> object:
            started = time.perf_counter()
            result = await call  # type: ignore[misc]
            latencies[name].append((time.perf_counter() - started) * 1000)
            return result

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                created = await timed(
                    "create",
                    stub.CreateApplication(
                        intake_pb2.CreateApplicationRequest(
                            request_id=str(uuid.uuid4()),
                            applicant_name="王小明",
                            id_number=random_id_number(rng, "340104", today=date.today()),
                            phone=f"139{rng.randrange(10**8):08d}",
                            hall_id="hall-340104-01",
                            matter_code=MATTER,
                            target_province="310000",
                        )
                    ),
                )
                case_id = created.application.case_id  # type: ignore[attr-defined]
                await timed(
                    "upload",
                    stub.UploadMaterial(
                        iter(
                            [
                                intake_pb2.UploadMaterialRequest(
                                    header=intake_pb2.UploadHeader(case_id=case_id, material_code="id_card"),
                                    data=JPEG,
                                )
                            ]
                        )
                    ),
                )
                await timed(
                    "submit", stub.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
                )
                latencies["journey"].append((time.perf_counter() - began) * 1000)
                done += 1

        async def tick() -> None:
            while time.perf_counter() < deadline:
                await asyncio.sleep(0.1)
                progress.advance()

        started = time.perf_counter()
        await asyncio.gather(tick(), *(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started), latencies


class CpuWatch:
    """CPU spent by the client, the intake process and PostgreSQL over one phase."""

    def __init__(self, intake_pids: list[int], postgres_url: str) -> None:
        self.intake_pids = intake_pids
        self.postgres_url = postgres_url

    def _postgres_pids(self) -> list[int]:
        async def cluster() -> list[int]:
            conn = await asyncpg.connect(self.postgres_url)
            try:  # read while this backend lives: its parent is the postmaster
                return cpusplit.postgres_cluster(int(await conn.fetchval("SELECT pg_backend_pid()")))
            finally:
                await conn.close()

        return asyncio.run(cluster())

    def read(self) -> dict[str, dict[int, float]]:
        return {
            "client": cpusplit.cpu_seconds([os.getpid()]),
            "intake": cpusplit.cpu_seconds(self.intake_pids),
            "postgres": cpusplit.cpu_seconds(self._postgres_pids()),
            "machine": {0: cpusplit.machine_busy_seconds()},
        }

    @staticmethod
    def per_journey_ms(
        before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], journeys: int
    ) -> dict[str, float]:
        return {name: 1000 * cpusplit.spent(before[name], after[name]) / max(1, journeys) for name in after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min average, every user of the machine)")
    rows: list[list[object]] = []
    cpu_rows: list[list[object]] = []
    with kafka_for_bench() as kafka, postgres_for_bench() as postgres:
        database = with_database(postgres, f"bench_intake_{uuid.uuid4().hex[:6]}")
        with service_process("services.intake", bench_env(kafka, database)) as address:
            watch = CpuWatch([address.pid], postgres)
            for concurrency in args.concurrency:
                rate, lat = asyncio.run(empty_calls(address, concurrency, 5))
                rows.append(
                    [
                        f"grpc.aio empty call x{concurrency}",
                        f"{rate:,.0f} calls/s",
                        f"{percentile(lat, 50):.1f}",
                        f"{percentile(lat, 99):.1f}",
                    ]
                )
                before = watch.read()
                rate, by_call = asyncio.run(applications(address, concurrency, args.seconds))
                cpu = watch.per_journey_ms(before, watch.read(), len(by_call["journey"]))
                cpu_rows.append(
                    [f"x{concurrency}", cpu["client"], cpu["intake"], cpu["postgres"], cpu["machine"]]
                )
                rows.append(
                    [
                        f"submitted applications x{concurrency}",
                        f"{rate:,.0f} apps/s",
                        f"{percentile(by_call['journey'], 50):.1f}",
                        f"{percentile(by_call['journey'], 99):.1f}",
                    ]
                )
                for name in ("create", "upload", "submit"):
                    rows.append(
                        [
                            f"  {name} x{concurrency}",
                            f"{len(by_call[name]) / args.seconds:,.0f} calls/s",
                            f"{percentile(by_call[name], 50):.1f}",
                            f"{percentile(by_call[name], 99):.1f}",
                        ]
                    )
    print(
        table(
            "Intake (one process, PostgreSQL + outbox relay to Kafka, same machine)",
            ["measure", "rate", "p50 ms", "p99 ms"],
            rows,
        )
    )
    print("journey = create + upload one 4 KB material + submit: three RPCs, three transactions")
    print(
        table(
            "CPU per submitted application (ms; machine = every process of every user)",
            ["clients", "bench client", "intake", "postgres", "machine"],
            cpu_rows,
        )
    )
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
