"""The whole journey through every real service, each started as its own process exactly as
`make dev` runs it, on the suite's Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from bench.stack import services
from cli import chart
from cli import main as cli
from cli.journey import Stubs, journey, ready_official
from cli.population import Shares
from cli.simulate import Report, Settings, simulate
from cli.stages import STAGES
from tests.engines import drop_namespace, new_namespace
from tests.support import eventually
from tongban.results.v1 import results_pb2

HAPPY_PATH = [
    "ApplicationCreated",
    "MaterialUploaded",
    "ApplicationSubmitted",
    "CaseQueued",
    "CaseReserved",
    "ReservationAccepted",
    "CaseAssigned",
    "WindowOpened",
    "WindowPartyJoined",
    "WindowConnected",
    "DecisionRecorded",
    "ResultIssued",
    "ResultDelivered",
    "WindowClosed",
    "WindowRecordingStored",
    "EvaluationSubmitted",
    "CaseClosed",
]
NOT_AFTER_A_REJECTION = {"ResultIssued", "ResultDelivered"}


@dataclass(frozen=True)
class Stack:
    stubs: Stubs
    kafka: str
    namespace: str
    results_database: str


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap: str, postgres_url: str) -> AsyncIterator[Stack]:
    """Every service as its own process, exactly as `make dev` runs them, in a topic
    namespace of their own."""
    catalog = await asyncio.to_thread(new_namespace, kafka_bootstrap)
    processes = contextlib.ExitStack()
    try:
        started = services(
            kafka_bootstrap, postgres_url, catalog.namespace, stats_interval_s="1", wrap_up_s="0.5"
        )
        # on a thread: starting them blocks; the stubs are made here, on the tests' loop
        addresses = await asyncio.to_thread(processes.enter_context, started)
        results = addresses["results"].database_url
        yield Stack(Stubs.connect(addresses), kafka_bootstrap, catalog.namespace, results)
    finally:
        await asyncio.to_thread(processes.close)
        await asyncio.to_thread(drop_namespace, kafka_bootstrap, catalog)


async def test_a_hefei_applicant_is_served_by_an_official_of_another_province_end_to_end(
    stack: Stack,
) -> None:
    stubs = stack.stubs
    suffix = uuid.uuid4().hex[:6]
    # Guangdong: the simulation below sends no work there
    official = f"gd-{suffix}"
    await ready_official(stubs, official, "440000", "housing_fund")
    case_id, timings = await journey(stubs, official, random.Random(1), province="440000")

    async def timeline() -> list[str]:
        events = (
            await stubs.results.GetCaseTimeline(results_pb2.GetCaseTimelineRequest(case_id=case_id))
        ).events
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
    assert list(timings.marks) == [
        "submitted",
        "queued",
        "reserved",
        "assigned",
        "window connected",
        "decided",
        "delivered",
    ]


@pytest.fixture(scope="module")
async def simulated(stack: Stack) -> Report:
    """A short simulation: halls of three provinces, bots in two others (Sichuan and
    Chongqing, where the journey test above sends no work), many 补正 rounds (the applicant
    supplies the material and submits again, the case is queued and decided again) and
    some rejections."""
    settings = Settings(
        halls=3,
        officials=3,
        rate=1.25,
        duration=4.0,
        seed=1,
        shares=Shares(supplement=0.5, rejection=0.25),
        talk_s=0.5,
        wrap_up_s=0.2,
        timeout_s=90,
        provinces=("510000", "500000"),
    )
    return await simulate(settings, stack.stubs, stack.kafka, namespace=stack.namespace)


async def test_a_short_simulation_completes_every_journey_with_a_full_timeline(
    stack: Stack,
    simulated: Report,
    tmp_path: Path,
) -> None:
    report = simulated
    assert len(report.journeys) >= 3
    stuck = [(j.stage, j.problem) for j in report.journeys if not j.closed]
    assert not stuck  # none stuck
    assert len({j.applicant.hall.province for j in report.journeys}) >= 2
    assert all(
        j.applicant.target_province in {"510000", "500000"}
        and j.applicant.target_province != j.applicant.hall.province
        for j in report.journeys
    )
    outcomes = {j.outcome for j in report.journeys}
    assert outcomes <= {"APPROVED", "REJECTED"} and "APPROVED" in outcomes
    assert any(j.supplement_rounds for j in report.journeys)  # 补正, then decided again
    for j in report.journeys:
        wanted = STAGES if j.outcome == "APPROVED" else STAGES[:-1]
        assert list(report.reckonings[j.case_id].marks) == list(wanted)
        expected = set(HAPPY_PATH) - (NOT_AFTER_A_REJECTION if j.outcome == "REJECTED" else set())

        async def complete(j: object = j, expected: set[str] = expected) -> bool:
            events = (
                await stack.stubs.results.GetCaseTimeline(
                    results_pb2.GetCaseTimelineRequest(case_id=j.case_id)
                )
            ).events  # type: ignore[attr-defined]
            return expected <= {e.type.rsplit(".", 1)[1] for e in events}

        await eventually(complete, timeout=60)
        case = (await stack.stubs.results.GetCase(results_pb2.GetCaseRequest(case_id=j.case_id))).case
        assert case.status == "CLOSED" and case.evaluation_level == j.level
        assert case.applicant.id_number.count("*") == 8
        if j.outcome == "REJECTED":
            timeline = (
                await stack.stubs.results.GetCaseTimeline(
                    results_pb2.GetCaseTimelineRequest(case_id=j.case_id)
                )
            ).events
            decision = [
                json.loads(e.data_json)
                for e in timeline  # the last: after any 补正
                if e.type.endswith("DecisionRecorded")
            ][-1]
            assert decision["reason_code"] and decision["legal_basis"]
    volumes = dict(report.volumes())
    assert volumes["journeys closed"] == len(report.journeys) and volumes["stuck or failed"] == 0
    assert volumes["rectifications opened"] == volumes["rated 2 or less (差评)"]
    spans = {s.label: s for s in report.spans}
    assert len(spans["submitted → queued"].samples_ms) == len(report.journeys)
    assert all(v > 0 for s in report.spans for v in s.samples_ms)
    path = chart.render(tmp_path / "simulation.png", "t", "s", [("run", report.spans)])
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == chart.SIZE


def test_replay_rebuilds_the_projection_of_the_simulated_cases(
    stack: Stack,
    simulated: Report,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "KAFKA", stack.kafka)
    monkeypatch.setattr(cli, "NAMESPACE", stack.namespace)
    cases = [j.case_id for j in simulated.journeys]
    argv = ["replay", "--database-url", stack.results_database, "--drop", "--json"]
    for case_id in cases:
        argv += ["--case", case_id]
    assert cli.main(argv) == 0, capsys.readouterr().out
    report = json.loads(capsys.readouterr().out)
    assert report["matches"] and report["differing"] == [] and report["live_caught_up"]
    assert report["events"] >= report["live_events"] > 0 and report["cases"] >= len(cases)
    for case_id in cases:
        counts = report["cases_asked"][case_id]
        assert counts["live"] == counts["rebuilt"] >= len(HAPPY_PATH) - 2, case_id
    assert cli.main(["replay", "--database-url", stack.results_database, "--schema", "Bad-Name"]) == 2
    assert "schema names" in capsys.readouterr().err
