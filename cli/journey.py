"""One applicant's whole journey through a running stack, over the services' gRPC APIs:
apply at a Hefei hall for a Shanghai matter, upload, submit, get reserved and accepted by a
Shanghai official, meet in the video window (two synthetic aiortc peers), approve, rate, and
read the case's timeline back from results. `python -m cli.journey` against `make dev`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date

import grpc

from cli.botpeer import TestPeer
from cli.idgen import random_id_number
from services.window.ice import use_loopback_ice
from tongban.intake.v1 import intake_pb2, intake_pb2_grpc
from tongban.results.v1 import results_pb2, results_pb2_grpc
from tongban.routing.v1 import routing_pb2, routing_pb2_grpc
from tongban.types.v1 import types_pb2
from tongban.window.v1 import window_pb2, window_pb2_grpc

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(2048)
PDF = b"%PDF-1.4\n" + bytes(1024)
STAGES = ["submitted", "queued", "reserved", "assigned", "window connected", "decided", "delivered"]


@dataclass
class Stubs:
    intake: intake_pb2_grpc.IntakeServiceAsyncStub
    routing: routing_pb2_grpc.RoutingServiceAsyncStub
    window: window_pb2_grpc.WindowServiceAsyncStub
    results: results_pb2_grpc.ResultsServiceAsyncStub

    @classmethod
    def connect(cls, addresses: dict[str, str] | None = None) -> Stubs:
        """Addresses by service name; the `make dev` ports by default."""
        where = {
            "intake": "127.0.0.1:7051",
            "routing": "127.0.0.1:7052",
            "window": "127.0.0.1:7053",
            "results": "127.0.0.1:7054",
            **(addresses or {}),
        }

        def channel(name: str) -> grpc.aio.Channel:
            return grpc.aio.insecure_channel(where[name])

        return cls(
            intake_pb2_grpc.IntakeServiceStub(channel("intake")),
            routing_pb2_grpc.RoutingServiceStub(channel("routing")),
            window_pb2_grpc.WindowServiceStub(channel("window")),
            results_pb2_grpc.ResultsServiceStub(channel("results")),
        )


@dataclass
class Timings:
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, stage: str) -> None:
        self.marks[stage] = time.perf_counter()


async def ready_official(stubs: Stubs, official_id: str, province: str, department: str) -> None:
    await stubs.routing.RegisterOfficial(
        routing_pb2.RegisterOfficialRequest(
            official=routing_pb2.Official(
                id=official_id,
                province=province,
                department=department,
                skills=[department],
                languages=["zh"],
            )
        )
    )
    await stubs.routing.SetPresence(
        routing_pb2.SetPresenceRequest(
            official_id=official_id, province=province, presence=types_pb2.PRESENCE_AVAILABLE
        )
    )


async def until(check, timeout: float = 30.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(interval)
    raise TimeoutError("the journey stalled")


async def journey(
    stubs: Stubs,
    official_id: str,
    rng: random.Random,
    matter: str = "HF-TRANSFER",
    level: int = 5,
    province: str = "310000",
) -> tuple[str, Timings]:
    t = Timings()
    created = (
        await stubs.intake.CreateApplication(
            intake_pb2.CreateApplicationRequest(
                request_id=str(uuid.uuid4()),
                applicant_name="张三",
                id_number=random_id_number(rng, "340104", today=date.today()),
                phone=f"138{rng.randrange(10**8):08d}",
                hall_id="hall-340104-01",
                matter_code=matter,
                target_province=province,
            )
        )
    ).application
    case_id = created.case_id
    for code, data in (("id_card", JPEG), ("form", PDF), ("new_account", JPEG)):
        await stubs.intake.UploadMaterial(
            iter(
                [
                    intake_pb2.UploadMaterialRequest(
                        header=intake_pb2.UploadHeader(case_id=case_id, material_code=code), data=data
                    )
                ]
            )
        )
    await stubs.intake.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
    t.mark("submitted")

    async def position() -> routing_pb2.GetQueuePositionResponse | None:
        reply = await stubs.routing.GetQueuePosition(
            routing_pb2.GetQueuePositionRequest(case_id=case_id, province=province)
        )
        return reply if reply.state not in {"unknown"} else None

    await until(position)
    t.mark("queued")

    async def offered() -> str:
        o = (
            await stubs.routing.GetOfficial(
                routing_pb2.GetOfficialRequest(official_id=official_id, province=province)
            )
        ).official
        return str(o.reservation_id) if o.case_id == case_id and o.reservation_id else ""

    reservation = await until(offered)
    t.mark("reserved")
    await stubs.routing.AcceptReservation(
        routing_pb2.AcceptReservationRequest(
            official_id=official_id, province=province, reservation_id=reservation
        )
    )
    t.mark("assigned")
    window = (
        await stubs.window.OpenWindow(window_pb2.OpenWindowRequest(case_id=case_id, official_id=official_id))
    ).window
    peers = []
    for seat in window.seats:
        peer = TestPeer(width=160, height=120, fps=10, slots=len(window.seats) - 1)

        async def signal(sdp: str, seat: window_pb2.Seat = seat) -> str:
            return str(
                (
                    await stubs.window.Join(
                        window_pb2.JoinRequest(window_id=window.id, join_token=seat.join_token, sdp=sdp)
                    )
                ).sdp
            )

        await peer.join(signal)
        peers.append(peer)
    t.mark("window connected")

    async def assigned_in_results() -> bool:
        try:
            case = (await stubs.results.GetCase(results_pb2.GetCaseRequest(case_id=case_id))).case
        except grpc.aio.AioRpcError:
            return False
        return case.status in {"ASSIGNED", "IN_WINDOW"}

    await until(assigned_in_results)
    await asyncio.sleep(1.0)  # a moment of conversation
    await stubs.results.RecordDecision(
        results_pb2.RecordDecisionRequest(
            case_id=case_id,
            official_id=official_id,
            province=province,
            outcome=types_pb2.DECISION_OUTCOME_APPROVED,
            result_kind="certificate",
            delivery_method=types_pb2.DELIVERY_METHOD_E_CERTIFICATE,
        )
    )
    t.mark("decided")
    await stubs.window.CloseWindow(window_pb2.CloseWindowRequest(window_id=window.id, reason="completed"))
    for peer in peers:
        await peer.close()
    await stubs.routing.FinishCase(
        routing_pb2.FinishCaseRequest(official_id=official_id, province=province, case_id=case_id)
    )

    async def delivered() -> bool:
        case = (await stubs.results.GetCase(results_pb2.GetCaseRequest(case_id=case_id))).case
        return bool(case.status == "DELIVERED")

    await until(delivered)
    t.mark("delivered")
    await stubs.results.SubmitEvaluation(
        results_pb2.SubmitEvaluationRequest(case_id=case_id, level=level, tags=["fast", "no_travel"])
    )
    return case_id, t


async def run() -> None:
    use_loopback_ice()
    stubs = Stubs.connect()
    official = f"sh-official-{uuid.uuid4().hex[:4]}"
    await ready_official(stubs, official, "310000", "housing_fund")
    case_id, timings = await journey(stubs, official, random.Random())

    async def closed() -> list[results_pb2.TimelineEvent] | None:
        events = (
            await stubs.results.GetCaseTimeline(results_pb2.GetCaseTimelineRequest(case_id=case_id))
        ).events
        return list(events) if any(e.type.endswith("CaseClosed") for e in events) else None

    timeline = await until(closed)
    print(f"case {case_id}")
    start = timings.marks["submitted"]
    for stage in STAGES:
        print(f"  {stage:<17} +{(timings.marks[stage] - start) * 1000:8.0f} ms")
    print("timeline:")
    for event in timeline:
        print(f"  {event.time.ToDatetime():%H:%M:%S.%f}  {event.source:<8} {event.type.rsplit('.', 1)[1]}")


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    asyncio.run(run())


if __name__ == "__main__":
    main()
