"""`tongban simulate`: synthetic applicants and bot officials driving whole journeys through a
running stack. Applicants apply at a Hefei hall, upload, submit, join their video window when
it opens, and rate; officials set presence, accept whatever they are offered, meet the
applicant in the recorded window, decide, close and finish. Ends with a table of volumes and
per-stage latency (submitted → queued → reserved → assigned → window connected → decided →
delivered)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from datetime import date

import grpc

from services.intake.idgen import random_id_number
from services.window.testpeer import TestPeer
from tongban.intake.v1 import intake_pb2
from tongban.results.v1 import results_pb2
from tongban.routing.v1 import routing_pb2
from tongban.types.v1 import types_pb2
from tongban.window.v1 import window_pb2
from tools.benchkit import Progress, percentile, table
from tools.journey import JPEG, PDF, STAGES, Stubs, ready_official, until

Marks = dict[str, dict[str, float]]


async def join_seat(stubs: Stubs, window: window_pb2.Window, role: int) -> TestPeer:
    seat = next(s for s in window.seats if s.role == role)
    peer = TestPeer(width=160, height=120, fps=10, slots=len(window.seats) - 1)

    async def signal(sdp: str) -> str:
        return str((await stubs.window.Join(window_pb2.JoinRequest(
            window_id=window.id, join_token=seat.join_token, sdp=sdp))).sdp)

    await peer.join(signal)
    return peer


async def applicant(stubs: Stubs, rng: random.Random, province: str, marks: Marks,
                    timeout: float) -> str:
    created = (await stubs.intake.CreateApplication(intake_pb2.CreateApplicationRequest(
        request_id=str(uuid.uuid4()), applicant_name=rng.choice(["张三", "李四", "王芳", "Li Wei"]),
        id_number=random_id_number(rng, "340104", elderly=rng.random() < 0.3, today=date.today()),
        phone=f"139{rng.randrange(10**8):08d}", hall_id="hall-340104-01",
        matter_code="HF-TRANSFER", target_province=province,
        disability=rng.random() < 0.05))).application
    case_id = created.case_id
    for code, data in (("id_card", JPEG), ("form", PDF), ("new_account", JPEG)):
        await stubs.intake.UploadMaterial(iter([intake_pb2.UploadMaterialRequest(
            header=intake_pb2.UploadHeader(case_id=case_id, material_code=code), data=data)]))
    await stubs.intake.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
    marks[case_id]["submitted"] = time.perf_counter()

    async def queued() -> bool:
        reply = await stubs.routing.GetQueuePosition(routing_pb2.GetQueuePositionRequest(
            case_id=case_id, province=province))
        return bool(reply.state != "unknown")

    await until(queued, timeout)
    marks[case_id].setdefault("queued", time.perf_counter())

    async def window_open() -> window_pb2.Window | None:
        try:  # the window opens on case.assigned; OpenWindow returns it with fresh tokens
            reply = await stubs.window.GetWindow(window_pb2.GetWindowRequest(case_id=case_id))
        except grpc.aio.AioRpcError:
            return None
        found: window_pb2.Window = reply.window
        return found

    window = await until(window_open, timeout, interval=0.1)
    fresh = (await stubs.window.OpenWindow(window_pb2.OpenWindowRequest(
        case_id=case_id, official_id=window.official_id))).window
    peer = await join_seat(stubs, fresh, types_pb2.SEAT_ROLE_APPLICANT)

    async def delivered() -> bool:
        case = (await stubs.results.GetCase(results_pb2.GetCaseRequest(case_id=case_id))).case
        return bool(case.status in {"DELIVERED", "DECIDED"})

    await until(delivered, timeout, interval=0.1)
    marks[case_id]["delivered"] = time.perf_counter()
    await peer.close()
    await stubs.results.SubmitEvaluation(results_pb2.SubmitEvaluationRequest(
        case_id=case_id, level=rng.choice([5, 5, 5, 4, 4, 3, 2]), tags=["fast"]))
    return str(case_id)


async def official(stubs: Stubs, province: str, marks: Marks, stop: asyncio.Event) -> None:
    official_id = f"sim-{province}-{uuid.uuid4().hex[:6]}"
    await ready_official(stubs, official_id, province, "housing_fund")
    try:
        await serve_cases(stubs, province, official_id, marks, stop)
    finally:  # sign off, or the router keeps offering cases to a bot that is gone
        await stubs.routing.SetPresence(routing_pb2.SetPresenceRequest(
            official_id=official_id, province=province, presence=types_pb2.PRESENCE_OFFLINE))


async def serve_cases(stubs: Stubs, province: str, official_id: str, marks: Marks,
                      stop: asyncio.Event) -> None:
    while not stop.is_set():
        me = (await stubs.routing.GetOfficial(routing_pb2.GetOfficialRequest(
            official_id=official_id, province=province))).official
        if not me.reservation_id:
            await asyncio.sleep(0.05)
            continue
        case_id = me.case_id
        marks[case_id].setdefault("queued", time.perf_counter())
        marks[case_id]["reserved"] = time.perf_counter()
        await stubs.routing.AcceptReservation(routing_pb2.AcceptReservationRequest(
            official_id=official_id, province=province, reservation_id=me.reservation_id))
        marks[case_id]["assigned"] = time.perf_counter()
        window = (await stubs.window.OpenWindow(window_pb2.OpenWindowRequest(
            case_id=case_id, official_id=official_id))).window
        peer = await join_seat(stubs, window, types_pb2.SEAT_ROLE_OFFICIAL)

        async def both_connected(window_id: str = window.id) -> bool:
            state = (await stubs.window.GetWindow(window_pb2.GetWindowRequest(
                window_id=window_id))).window
            return all(s.connected for s in state.seats)

        await until(both_connected, 30)
        marks[case_id]["window connected"] = time.perf_counter()

        async def assigned_in_results(case_id: str = case_id) -> bool:
            case = (await stubs.results.GetCase(results_pb2.GetCaseRequest(case_id=case_id))).case
            return bool(case.status in {"ASSIGNED", "IN_WINDOW"})

        await until(assigned_in_results, 30)
        await asyncio.sleep(0.5)  # the conversation
        await stubs.results.RecordDecision(results_pb2.RecordDecisionRequest(
            case_id=case_id, official_id=official_id, province=province,
            outcome=types_pb2.DECISION_OUTCOME_APPROVED, result_kind="certificate",
            delivery_method=types_pb2.DELIVERY_METHOD_E_CERTIFICATE))
        marks[case_id]["decided"] = time.perf_counter()
        await stubs.window.CloseWindow(window_pb2.CloseWindowRequest(window_id=window.id,
                                                                     reason="completed"))
        await peer.close()
        await stubs.routing.FinishCase(routing_pb2.FinishCaseRequest(
            official_id=official_id, province=province, case_id=case_id))


async def run(journeys: int, officials: int, province: str, stubs: Stubs | None = None,
              timeout: float = 120) -> tuple[list[str], Marks, list[str]]:
    from services.window.ice import use_loopback_ice

    use_loopback_ice()
    stubs = stubs or Stubs.connect()
    rng = random.Random()
    marks: Marks = defaultdict(dict)
    stop = asyncio.Event()
    bots = [asyncio.create_task(official(stubs, province, marks, stop)) for _ in range(officials)]
    progress = Progress(f"{journeys} journeys, {officials} officials", journeys)
    done: list[str] = []
    failures: list[str] = []

    async def one() -> None:
        try:
            done.append(str(await applicant(stubs, rng, province, marks, timeout)))
        except Exception as error:  # counted and reported, not fatal to the others
            failures.append(type(error).__name__)
        progress.advance()

    await asyncio.gather(*(one() for _ in range(journeys)))
    stop.set()
    await asyncio.gather(*bots, return_exceptions=True)
    return done, marks, failures


def simulate(journeys: int, officials: int, province: str) -> int:
    done, marks, failures = asyncio.run(run(journeys, officials, province))
    rows: list[list[object]] = []
    complete = [marks[c] for c in done if all(s in marks[c] for s in STAGES)]
    for before, after in zip(STAGES, STAGES[1:], strict=False):
        spans = [(m[after] - m[before]) * 1000 for m in complete]
        rows.append([f"{before} → {after}", len(spans), f"{percentile(spans, 50):.0f}",
                     f"{percentile(spans, 99):.0f}"])
    totals = [(m[STAGES[-1]] - m[STAGES[0]]) * 1000 for m in complete]
    rows.append(["whole journey", len(totals), f"{percentile(totals, 50):.0f}",
                 f"{percentile(totals, 99):.0f}"])
    if failures:
        print(f"  {len(failures)} journeys failed: {sorted(set(failures))}")
    print(table(f"{len(done)} of {journeys} journeys completed",
                ["stage", "journeys", "p50 ms", "p99 ms"], rows))
    return 0 if len(done) == journeys else 1
