"""A PostgreSQL restart during a burst of submissions leaves no partial application and loses
no acknowledged one (the asyncpg "adversity" habit: break the connection on purpose)."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from tests.intake.intake_support import JPEG, PDF, RunningIntake, upload_chunks
from tests.intake.test_intake_service import create_request
from tongban.intake.v1 import intake_pb2
from tools.engines import PostgresNode


async def one_journey(intake: RunningIntake, acknowledged: list[str], failures: list[str]) -> None:
    try:
        case_id = (await intake.stub.CreateApplication(create_request())).application.case_id
        for code, data in (("id_card", JPEG), ("form", PDF), ("retire_cert", JPEG)):
            await intake.stub.UploadMaterial(iter(upload_chunks(case_id, code, data)))
        await intake.stub.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
        acknowledged.append(case_id)
    except grpc.aio.AioRpcError as error:
        failures.append(error.code().name)


async def test_postgres_restart_mid_burst(intake: RunningIntake, postgres_node: PostgresNode | None) -> None:
    if postgres_node is None:
        pytest.skip("needs the suite's own PostgreSQL to restart it (TONGBAN_TEST_POSTGRES is set)")
    acknowledged: list[str] = []
    failures: list[str] = []

    async def clients(rounds: int) -> None:
        for _ in range(rounds):
            await asyncio.gather(*(one_journey(intake, acknowledged, failures) for _ in range(8)))

    burst = asyncio.create_task(clients(25))
    await asyncio.sleep(0.5)
    await asyncio.to_thread(postgres_node.restart)  # immediate stop: like a crash
    await burst
    assert acknowledged, "nothing succeeded at all"
    assert failures, "the restart did not hit any call; the test proves nothing"
    print(f"acknowledged {len(acknowledged)}, refused during the restart {len(failures)}")

    async with intake.pool.acquire() as conn:
        rows = {
            str(r["case_id"]): r["status"]
            for r in await conn.fetch("SELECT case_id, status FROM applications")
        }
        events = await conn.fetch("SELECT key, type FROM outbox")
    created = {e["key"] for e in events if e["type"].endswith("ApplicationCreated")}
    submitted = {e["key"] for e in events if e["type"].endswith("ApplicationSubmitted")}
    for case_id in acknowledged:  # nothing acknowledged is lost
        assert rows.get(case_id) == "SUBMITTED"
        assert case_id in submitted
    for case_id, status in rows.items():  # nothing half-written
        assert case_id in created
        assert (status == "SUBMITTED") == (case_id in submitted)
    assert not set(rows) - created
