"""The whole journey through every real service, each started as its own process exactly as
`make dev` runs it, on the suite's Kafka and PostgreSQL."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import AsyncIterator

import pytest

from services.shared import topics
from services.shared.migrations import with_database
from support import eventually
from tongban.results.v1 import results_pb2
from tools.benchstack import bench_env, service_process
from tools.journey import STAGES, Stubs, journey, ready_official
from tools.simulate import run as simulate

HAPPY_PATH = [
    "ApplicationCreated", "MaterialUploaded", "ApplicationSubmitted", "CaseQueued",
    "CaseReserved", "ReservationAccepted", "CaseAssigned", "WindowOpened", "WindowPartyJoined",
    "WindowConnected", "DecisionRecorded", "ResultIssued", "ResultDelivered", "WindowClosed",
    "WindowRecordingStored", "EvaluationSubmitted", "CaseClosed",
]


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap: str, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[Stubs]:
    """Every service as its own process, exactly as `make dev` runs it."""
    topics.ensure_topics(kafka_bootstrap, topics.load())
    suffix = uuid.uuid4().hex[:6]
    env = bench_env(kafka_bootstrap)
    env.update(TONGBAN_LOOPBACK_ICE="true", TONGBAN_WORKER_NAME=f"routing-{suffix}",
               TONGBAN_ROUTING_DATA_DIR=str(tmp_path_factory.mktemp("routing")),
               TONGBAN_STATS_INTERVAL_S="1", TONGBAN_WRAP_UP_S="0.5")
    with contextlib.ExitStack() as processes:
        addresses = {
            "intake": processes.enter_context(service_process("services.intake", dict(
                env, TONGBAN_DATABASE_URL=with_database(postgres_url, f"intake_{suffix}")))),
            "results": processes.enter_context(service_process("services.results", dict(
                env, TONGBAN_DATABASE_URL=with_database(postgres_url, f"results_{suffix}")))),
            "routing": processes.enter_context(service_process("services.routing", env,
                                                                timeout=90)),
            "window": processes.enter_context(service_process("services.window", env)),
        }
        yield Stubs.connect(addresses)


async def test_a_hefei_applicant_is_served_by_an_official_of_another_province_end_to_end(
    stack: Stubs,
) -> None:
    stubs = stack
    suffix = uuid.uuid4().hex[:6]
    # Guangdong: no other test sends work there, and a fresh routing worker replays the
    # shared topics, so a Shanghai official would first be offered other tests' cases
    official = f"gd-{suffix}"
    await ready_official(stubs, official, "440000", "housing_fund")
    case_id, timings = await journey(stubs, official, random.Random(1), province="440000")

    async def timeline() -> list[str]:
        events = (await stubs.results.GetCaseTimeline(
            results_pb2.GetCaseTimelineRequest(case_id=case_id))).events
        kinds = [e.type.rsplit(".", 1)[1] for e in events]
        return kinds if "CaseClosed" in kinds and "WindowRecordingStored" in kinds else []

    kinds = await eventually(timeline, timeout=60)
    case = (await stubs.results.GetCase(results_pb2.GetCaseRequest(case_id=case_id))).case
    happy = [k for k in kinds if k in HAPPY_PATH]
    assert set(HAPPY_PATH) <= set(kinds)
    # in order: each step of the happy path after the one before (repeats allowed)
    positions = [max(i for i, k in enumerate(happy) if k == step) for step in HAPPY_PATH]
    first = [min(i for i, k in enumerate(happy) if k == step) for step in HAPPY_PATH]
    for before, after, name in zip(positions, first[1:], HAPPY_PATH[1:], strict=False):
        assert before < after or name in {"MaterialUploaded", "WindowPartyJoined"}, kinds
    assert case.status == "CLOSED" and case.applicant.id_number.count("*") == 8
    assert list(timings.marks) == ["submitted", "queued", "reserved", "assigned",
                                   "window connected", "decided", "delivered"]


async def test_a_short_simulation_completes_every_journey_with_a_full_timeline(
    stack: Stubs,
) -> None:
    done, marks, failures = await simulate(4, 2, "330000", stubs=stack, timeout=90)
    assert not failures and len(done) == 4  # none stuck
    for case_id in done:
        assert all(stage in marks[case_id] for stage in STAGES)

        async def complete(case_id: str = case_id) -> bool:
            events = (await stack.results.GetCaseTimeline(
                results_pb2.GetCaseTimelineRequest(case_id=case_id))).events
            kinds = {e.type.rsplit(".", 1)[1] for e in events}
            return set(HAPPY_PATH) <= kinds

        await eventually(complete, timeout=60)
