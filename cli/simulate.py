"""`tongban simulate`: a day at the halls, compressed. Applicants walk into halls of several
provinces (a Poisson process of `rate` a second for `duration` seconds) and apply for
matters owned by other provinces; bot officials registered with routing in those provinces
accept the offers, meet the applicant in the recorded video window (aiortc peers sending a
generated VP8 and Opus loop), decide (mostly approve, some 补正, some rejections), close and
finish; applicants supply 补正 materials, get their result (e-certificate at once, mail from
a courier, print at the hall) and rate the service. Ends with the volumes and the per-stage
latency (cli/stages.py), and a PNG chart of the same (cli/chart.py).

The simulator's applicants are synthetic (cli/population.py); their ID numbers, names and
phones go to intake and never to the output.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import grpc

from cli import population
from cli.botpeer import MediaLoop, TestPeer
from cli.eventfeed import CaseLog, EventFeed, Offer, Stalled
from cli.journey import JPEG, PDF, Stubs, until
from cli.population import Applicant, BotOfficial, Shares
from cli.stages import Reckoning, Seen, Span, reckon, spans
from cli.textout import Progress
from services.results.status import outcome_word
from services.shared import topics
from services.shared.catalog import load_catalog
from services.window.ice import use_loopback_ice
from tongban.intake.v1 import intake_pb2
from tongban.results.v1 import results_pb2
from tongban.routing.v1 import routing_pb2
from tongban.types.v1 import types_pb2
from tongban.window.v1 import window_pb2

T = types_pb2
DELIVERY = {
    "E_CERTIFICATE": T.DELIVERY_METHOD_E_CERTIFICATE,
    "MAIL": T.DELIVERY_METHOD_MAIL,
    "HALL_PRINT": T.DELIVERY_METHOD_HALL_PRINT,
}
OUTCOME = {
    "APPROVED": T.DECISION_OUTCOME_APPROVED,
    "REJECTED": T.DECISION_OUTCOME_REJECTED,
    "SUPPLEMENT_REQUESTED": T.DECISION_OUTCOME_SUPPLEMENT_REQUESTED,
}
# A rejection states its reason and legal basis (行政许可法 art. 38: reasons in writing).
REJECTIONS = (
    ("CONDITIONS_NOT_MET", "《中华人民共和国行政许可法》第三十八条第二款"),
    ("OUT_OF_SCOPE", "《中华人民共和国行政许可法》第三十二条第一款"),
)
# the projection has not caught up with a change yet: worth asking again shortly
NOT_YET = {grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND}


@dataclass(frozen=True)
class Settings:
    halls: int = 4
    officials: int = 4
    rate: float = 0.5  # applicants a second
    duration: float = 20.0  # seconds of arrivals
    shares: Shares = field(default_factory=Shares)
    talk_s: float = 1.0  # the conversation in the window
    wrap_up_s: float = 1.0  # the bot's own wrap-up before it says it is ready again
    courier_s: float = 0.5  # mail delivered, hall print printed, this long after the result
    timeout_s: float = 180.0  # a journey longer than this is stuck
    seed: int | None = None
    provinces: tuple[str, ...] = ()  # target provinces; empty: the busiest ones


@dataclass
class Journey:
    """What happened to one applicant (no personal data)."""

    applicant: Applicant
    case_id: str = ""
    closed: bool = False
    stage: str = "arriving"  # where it stopped, if it did not close
    problem: str = ""
    outcome: str = ""
    supplement_rounds: int = 0
    level: int = 0


@dataclass
class Run:
    """Everything the bots and applicants share."""

    settings: Settings
    stubs: Stubs
    feed: EventFeed
    media: MediaLoop
    applicants: dict[str, Applicant] = field(default_factory=dict)  # by case id
    supplements: Counter[str] = field(default_factory=Counter)  # 补正 rounds by case id
    others_served: int = 0  # cases offered to the bots that this run did not create


@dataclass
class Report:
    settings: Settings
    journeys: list[Journey]
    reckonings: dict[str, Reckoning]
    logs: dict[str, CaseLog]
    officials: list[BotOfficial]
    others_served: int
    elapsed_s: float

    @property
    def spans(self) -> list[Span]:
        return spans(list(self.reckonings.values()))

    def volumes(self) -> list[tuple[str, int]]:
        """The volumes table, in journey order."""
        done = [j for j in self.journeys if j.closed]
        created = (
            next((e for e in self.logs[j.case_id].events if e.short_type == "ApplicationCreated"), None)
            for j in self.journeys
            if j.case_id in self.logs
        )
        # as intake derived them
        needs = [e.event.needs for e in created if e is not None]  # type: ignore[attr-defined]
        kinds = Counter(
            k for j in self.journeys if j.case_id in self.logs for k in self.logs[j.case_id].kinds()
        )
        methods = Counter(j.applicant.delivery_method for j in done if j.outcome == "APPROVED")
        return [
            ("halls", len({j.applicant.hall.id for j in self.journeys})),
            ("hall provinces", len({j.applicant.hall.province for j in self.journeys})),
            ("target provinces", len({j.applicant.target_province for j in self.journeys})),
            ("matters", len({j.applicant.matter.code for j in self.journeys})),
            ("bot officials", len(self.officials)),
            ("journeys started", len(self.journeys)),
            ("journeys closed", len(done)),
            ("stuck or failed", len(self.journeys) - len(done)),
            ("elderly (优先办, from the ID number)", sum(bool(n.elderly) for n in needs)),
            ("declared disability", sum(bool(n.disability) for n in needs)),
            ("interpreter needed", sum(bool(n.interpreter) for n in needs)),
            (
                "language other than Mandarin",
                sum(n.preferred_language not in ("", "zh") for n in needs),
            ),
            ("approved", sum(j.outcome == "APPROVED" for j in done)),
            ("  e-certificate", methods["E_CERTIFICATE"]),
            ("  mail", methods["MAIL"]),
            ("  print at the hall", methods["HALL_PRINT"]),
            ("rejected (reason and legal basis)", sum(j.outcome == "REJECTED" for j in done)),
            ("journeys with 补正", sum(j.supplement_rounds > 0 for j in self.journeys)),
            ("补正 rounds", sum(j.supplement_rounds for j in self.journeys)),
            ("rated", sum(j.level > 0 for j in self.journeys)),
            ("rated 2 or less (差评)", sum(0 < j.level <= 2 for j in self.journeys)),
            ("rectifications opened", kinds["RectificationOpened"]),
            ("other cases the bots served", self.others_served),
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "settings": {
                "halls": self.settings.halls,
                "officials": self.settings.officials,
                "rate": self.settings.rate,
                "duration": self.settings.duration,
                "supplement_share": self.settings.shares.supplement,
                "reject_share": self.settings.shares.rejection,
                "seed": self.settings.seed,
            },
            "elapsed_s": round(self.elapsed_s, 1),
            "volumes": dict(self.volumes()),
            "stages": [s.figures() for s in self.spans],
            "journeys": [
                {
                    "case_id": j.case_id,
                    "closed": j.closed,
                    "outcome": j.outcome,
                    "supplement_rounds": j.supplement_rounds,
                    "rating": j.level,
                    "hall_province": j.applicant.hall.province,
                    "target_province": j.applicant.target_province,
                    "matter": j.applicant.matter.code,
                    **({} if j.closed else {"stuck_at": j.stage, "problem": j.problem}),
                }
                for j in self.journeys
            ],
        }


def seen(log: CaseLog) -> list[Seen]:
    def outcome(envelope: Any) -> str:
        if envelope.short_type != "DecisionRecorded":
            return ""
        return outcome_word(envelope.event.outcome)

    return [Seen(e.short_type, e.time.timestamp(), outcome(e)) for e in log.events]


# ------------------------------------------------------------------ applicants


async def reopened(stubs: Stubs, case_id: str) -> bool:
    """Intake has sent the application back to the applicant for its 补正."""
    found = (await stubs.intake.GetApplication(intake_pb2.GetApplicationRequest(case_id=case_id))).application
    return bool(found.status == intake_pb2.APPLICATION_STATUS_SUPPLEMENT_REQUESTED)


async def upload(stubs: Stubs, case_id: str, code: str) -> None:
    await stubs.intake.UploadMaterial(
        iter(
            [
                intake_pb2.UploadMaterialRequest(
                    header=intake_pb2.UploadHeader(
                        case_id=case_id,
                        material_code=code,
                        file_name=f"{code}.{'pdf' if code == 'form' else 'jpg'}",
                    ),
                    data=PDF if code == "form" else JPEG,
                )
            ]
        )
    )


async def join_seat(run: Run, case_id: str, official_id: str, role: int) -> TestPeer:
    """Fresh seat tokens (OpenWindow is idempotent per case) and an aiortc peer in the seat."""
    window = (
        await run.stubs.window.OpenWindow(
            window_pb2.OpenWindowRequest(case_id=case_id, official_id=official_id)
        )
    ).window
    seat = next(s for s in window.seats if s.role == role)
    peer = TestPeer(slots=len(window.seats) - 1, loop=run.media)

    async def signal(sdp: str) -> str:
        return str(
            (
                await run.stubs.window.Join(
                    window_pb2.JoinRequest(window_id=window.id, join_token=seat.join_token, sdp=sdp)
                )
            ).sdp
        )

    await peer.join(signal)
    return peer


async def again(call: Any, request: Any, seconds: float) -> Any:
    """Calls until the services agree: a decision or a rating waits for the projection to
    have read the case's last step."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await call(request)
        except grpc.aio.AioRpcError as error:
            if error.code() not in NOT_YET or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


async def apply(run: Run, journey: Journey, rng: random.Random) -> None:
    a, stubs, timeout = journey.applicant, run.stubs, run.settings.timeout_s
    journey.stage = "applying"
    created = (
        await stubs.intake.CreateApplication(
            intake_pb2.CreateApplicationRequest(
                request_id=str(uuid.uuid4()),
                applicant_name=a.name,
                id_number=a.id_number,
                phone=a.phone,
                hall_id=a.hall.id,
                matter_code=a.matter.code,
                target_province=a.target_province,
                disability=a.disability,
                interpreter=a.interpreter,
                preferred_language=a.language,
                delivery_method=DELIVERY[a.delivery_method],
            )
        )
    ).application
    case_id = journey.case_id = created.case_id
    run.applicants[case_id] = a
    log = run.feed.case(case_id)
    for code in a.uploads:
        await upload(stubs, case_id, code)
    await stubs.intake.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
    index = 0
    while True:
        journey.stage = (
            "waiting for the window" if not journey.supplement_rounds else "waiting for the window after 补正"
        )
        index, opened = await log.next({"WindowOpened"}, index, timeout)
        peer = await join_seat(
            run,
            case_id,
            opened.event.official_id,  # type: ignore[attr-defined]
            T.SEAT_ROLE_APPLICANT,
        )
        try:
            journey.stage = "in the window"
            index, decided = await log.next({"DecisionRecorded"}, index + 1, timeout)
        finally:
            await peer.close()
        event: Any = decided.event
        outcome = outcome_word(event.outcome)
        if outcome != "SUPPLEMENT_REQUESTED":
            break
        journey.supplement_rounds += 1
        journey.stage = "supplying 补正 materials"
        await asyncio.sleep(run.settings.talk_s)  # fetching the paper
        await until(lambda: reopened(stubs, case_id), timeout)  # intake has read the decision
        for code in event.supplements:
            await upload(stubs, case_id, code)
        await stubs.intake.SubmitApplication(intake_pb2.SubmitApplicationRequest(case_id=case_id))
        index += 1
    journey.outcome = outcome
    if outcome == "APPROVED":
        journey.stage = "waiting for the result"
        await log.next({"ResultIssued"}, index, timeout)
        if a.delivery_method != "E_CERTIFICATE":
            await deliver(run, case_id, a, rng)
        await log.next({"ResultDelivered"}, index, timeout)
    journey.stage = "rating"
    journey.level, tags = population.rating(rng, outcome, journey.supplement_rounds > 0)
    await again(
        stubs.results.SubmitEvaluation,
        results_pb2.SubmitEvaluationRequest(case_id=case_id, level=journey.level, tags=tags),
        30,
    )
    journey.stage = "waiting for the case to close"
    await log.next({"CaseClosed"}, index, timeout)
    journey.closed, journey.stage = True, "closed"


async def deliver(run: Run, case_id: str, a: Applicant, rng: random.Random) -> None:
    """The courier hands the mail over (next day, compressed), or the applicant's hall
    prints the result (异地打印)."""
    await asyncio.sleep(run.settings.courier_s)
    if a.delivery_method == "MAIL":
        request = results_pb2.RecordDeliveryRequest(
            case_id=case_id, reference=f"SF{rng.randrange(10**12):012d}", carrier="顺丰速运"
        )
    else:
        request = results_pb2.RecordDeliveryRequest(case_id=case_id, reference=f"PJ-{case_id[:8]}")
    await run.stubs.results.RecordDelivery(request)


async def walk_in(run: Run, journey: Journey, rng: random.Random, progress: Progress) -> None:
    try:
        async with asyncio.timeout(run.settings.timeout_s):
            await apply(run, journey, rng)
    except (TimeoutError, Stalled) as error:
        journey.problem = str(error) or "timed out"
    except grpc.aio.AioRpcError as error:  # counted and reported, not fatal to the others
        journey.problem = f"{error.code().name} from a call"
    except Exception as error:  # e.g. a peer that could not connect; the name only, no data
        journey.problem = type(error).__name__
    finally:
        progress.advance()


# ------------------------------------------------------------------ officials


class OfficialBot:
    """One bot official: registered with routing in its province and department, AVAILABLE,
    handling whatever it is offered (cases of other callers too: a leftover case would
    otherwise block its queue)."""

    def __init__(self, run: Run, me: BotOfficial, rng: random.Random) -> None:
        self.run, self.me, self.rng = run, me, rng
        self.offers = run.feed.offers_for(me.id)

    async def ready(self) -> None:
        routing = self.run.stubs.routing
        await routing.RegisterOfficial(
            routing_pb2.RegisterOfficialRequest(
                official=routing_pb2.Official(
                    id=self.me.id,
                    province=self.me.province,
                    department=self.me.department,
                    skills=[self.me.department],
                    languages=list(self.me.languages),
                    display_name=f"bot {self.me.id}",
                )
            )
        )
        await self.presence(T.PRESENCE_AVAILABLE)

    async def presence(self, presence: T.Presence) -> None:
        await self.run.stubs.routing.SetPresence(
            routing_pb2.SetPresenceRequest(
                official_id=self.me.id, province=self.me.province, presence=presence
            )
        )

    async def serve(self) -> None:
        try:
            while True:
                offer = await self.offers.get()
                await self.handle(offer)
        finally:  # sign off, or the router keeps offering cases to a bot that is gone
            try:
                await self.presence(T.PRESENCE_OFFLINE)
            except grpc.aio.AioRpcError:
                pass

    async def handle(self, offer: Offer) -> None:
        stubs, me = self.run.stubs, self.me
        try:
            await stubs.routing.AcceptReservation(
                routing_pb2.AcceptReservationRequest(
                    official_id=me.id, province=me.province, reservation_id=offer.reservation_id
                )
            )
        except grpc.aio.AioRpcError:
            return  # lapsed or withdrawn meanwhile: a newer offer follows if there is one
        ours = offer.case_id in self.run.applicants
        if not ours:
            self.run.others_served += 1
        peer: TestPeer | None = None
        try:
            peer = await join_seat(self.run, offer.case_id, me.id, T.SEAT_ROLE_OFFICIAL)
            try:
                await self.run.feed.case(offer.case_id).next(
                    {"WindowConnected"}, offer.index, self.run.settings.timeout_s if ours else 10
                )
            except Stalled:
                if ours:
                    raise  # the applicant never came: this journey is stuck, say so
            await asyncio.sleep(self.run.settings.talk_s)
            await again(stubs.results.RecordDecision, self.decision(offer.case_id), 30 if ours else 5)
        except Exception:  # the applicant's side reports where its journey stopped
            pass
        finally:
            await self.close_case(offer.case_id, peer)

    def decision(self, case_id: str) -> results_pb2.RecordDecisionRequest:
        applicant = self.run.applicants.get(case_id)
        outcome = (
            population.decide(self.rng, self.run.settings.shares, self.run.supplements[case_id])
            if applicant
            else "APPROVED"
        )
        request = results_pb2.RecordDecisionRequest(
            case_id=case_id, official_id=self.me.id, province=self.me.province, outcome=OUTCOME[outcome]
        )
        if outcome == "SUPPLEMENT_REQUESTED":
            assert applicant is not None
            self.run.supplements[case_id] += 1
            missing = applicant.missing or tuple(m.code for m in applicant.matter.key_materials)
            request.supplements.append(self.rng.choice(missing))
        elif outcome == "REJECTED":
            request.reason_code, request.legal_basis = self.rng.choice(REJECTIONS)
        else:
            method = applicant.delivery_method if applicant else "E_CERTIFICATE"
            request.result_kind = "certificate" if method == "E_CERTIFICATE" else "document"
            request.delivery_method = DELIVERY[method]
            if method == "MAIL":
                assert applicant is not None
                request.mail_address = applicant.mail_address
        return request

    async def close_case(self, case_id: str, peer: TestPeer | None) -> None:
        stubs, me = self.run.stubs, self.me
        try:
            window = (await stubs.window.GetWindow(window_pb2.GetWindowRequest(case_id=case_id))).window
            await stubs.window.CloseWindow(
                window_pb2.CloseWindowRequest(window_id=window.id, reason="completed")
            )
        except grpc.aio.AioRpcError:
            pass
        if peer is not None:
            await peer.close()
        try:
            await stubs.routing.FinishCase(
                routing_pb2.FinishCaseRequest(official_id=me.id, province=me.province, case_id=case_id)
            )
        except grpc.aio.AioRpcError:
            pass
        await asyncio.sleep(self.run.settings.wrap_up_s)
        try:
            state = (
                await stubs.routing.GetOfficial(
                    routing_pb2.GetOfficialRequest(official_id=me.id, province=me.province)
                )
            ).official
            if state.presence == T.PRESENCE_WRAP_UP and not state.reservation_id:
                await self.presence(T.PRESENCE_AVAILABLE)  # ready before routing's wrap-up ends
        except grpc.aio.AioRpcError:
            pass  # routing's own wrap-up makes the bot available again


# ------------------------------------------------------------------ the run


async def simulate(
    settings: Settings,
    stubs: Stubs | None = None,
    kafka: str = "127.0.0.1:9092",
    addresses: dict[str, str] | None = None,
    namespace: str = "",
) -> Report:
    """Runs the simulation against the services at `addresses` (or `stubs`) and the broker
    (their topics inside `namespace`)."""
    catalog = load_catalog()
    rng = random.Random(settings.seed)
    run_id = uuid.uuid4().hex[:6]
    halls = population.pick_halls(catalog, settings.halls)
    officials = population.plan_officials(
        catalog, settings.officials, halls, run_id, list(settings.provinces) or None
    )
    schedule = population.arrivals(rng, settings.rate, settings.duration)
    use_loopback_ice()  # every peer on this machine (the services bind 127.0.0.1 only)
    stubs = stubs or Stubs.connect(addresses)
    feed = EventFeed(kafka, topics.load(namespace=namespace).event_topics())
    # a generated loop, encoded once: the bots and applicants then cost the window service
    # its real work (forwarding, recording) and this process almost nothing
    media = await asyncio.to_thread(MediaLoop.build, 320, 240, 10, 2.0, 250_000)
    run = Run(settings, stubs, feed, media)
    await feed.start()
    bots = [OfficialBot(run, o, random.Random(rng.random())) for o in officials]
    started = time.monotonic()
    try:
        await asyncio.gather(*(bot.ready() for bot in bots))
        serving = [asyncio.create_task(bot.serve()) for bot in bots]
        progress = Progress(f"{len(schedule)} journeys, {len(officials)} officials", len(schedule))
        journeys: list[Journey] = []
        walking: list[asyncio.Task[None]] = []
        today = date.today()
        for offset in schedule:
            await asyncio.sleep(max(0.0, started + offset - time.monotonic()))
            journey = Journey(population.make_applicant(rng, catalog, halls, officials, today))
            journeys.append(journey)
            walking.append(asyncio.create_task(walk_in(run, journey, random.Random(rng.random()), progress)))
        await asyncio.gather(*walking)
        for task in serving:
            task.cancel()
        await asyncio.gather(*serving, return_exceptions=True)
    finally:
        await feed.stop()
    elapsed = time.monotonic() - started
    logs = {j.case_id: feed.case(j.case_id) for j in journeys if j.case_id}
    reckonings = {j.case_id: reckon(seen(logs[j.case_id])) for j in journeys if j.closed}
    return Report(settings, journeys, reckonings, logs, officials, run.others_served, elapsed)


def tables(report: Report) -> str:
    """The volumes and the per-stage latency, as the CLI prints them."""
    from cli.stages import SPAN_HEADER
    from cli.textout import table

    s = report.settings
    stuck = [j for j in report.journeys if not j.closed]
    lines = [
        table(
            f"Volumes ({s.halls} halls, {s.officials} officials, {s.rate:g}/s for"
            f" {s.duration:g} s, {report.elapsed_s:.0f} s in all)",
            ["measure", "count"],
            [list(v) for v in report.volumes()],
        ),
        table(
            "Per-stage latency (event times; a 补正 journey from its first submission)",
            SPAN_HEADER,
            [span.row() for span in report.spans],
        ),
    ]
    if stuck:
        where = Counter(f"{j.stage}: {j.problem}" if j.problem else j.stage for j in stuck)
        lines.append(
            table(
                "Journeys that did not close", ["where", "journeys"], [[k, v] for k, v in where.most_common()]
            )
        )
    return "\n\n".join(lines)


def chart(report: Report, path: Path, name: str = "") -> Path:
    from cli.chart import render

    s = report.settings
    closed = sum(j.closed for j in report.journeys)
    return render(
        path,
        "Tongban journeys: per-stage latency",
        f"{closed} of {len(report.journeys)} journeys closed; {s.halls} halls,"
        f" {s.officials} bot officials, {s.rate:g} applicants/s for {s.duration:g} s",
        [(name or f"{s.rate:g}/s", report.spans)],
    )
