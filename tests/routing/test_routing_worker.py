"""The routing worker (faust-streaming) against the real broker, in its own process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from kafka import KafkaConsumer, KafkaProducer

from services.shared import cloudevents, topics
from services.shared.grpcserver import check_health
from tests.support import eventually
from tongban.events.v1 import events_pb2
from tongban.routing.v1 import routing_pb2, routing_pb2_grpc
from tongban.types.v1 import types_pb2
from tools.engines import REPO_ROOT, free_port

OFFICIALS = {"310000": ["sh-a", "sh-b", "sh-c"], "340000": ["ah-a"]}


class WorkerProcess:
    def __init__(self, bootstrap: str, app_id: str, data_dir: Path, catalog: topics.Catalog) -> None:
        self.port = free_port()
        self.env = dict(
            os.environ,
            TONGBAN_KAFKA_BOOTSTRAP=bootstrap,
            TONGBAN_GRPC_LISTEN=f"127.0.0.1:{self.port}",
            TONGBAN_METRICS_LISTEN=f"127.0.0.1:{free_port()}",
            TONGBAN_WORKER_NAME=app_id,
            TONGBAN_TOPIC_NAMESPACE=catalog.namespace,
            TONGBAN_ROUTING_DATA_DIR=str(data_dir),
            TONGBAN_WRAP_UP_S="0.2",
            TONGBAN_RESERVATION_TIMEOUT_S="5",
            TONGBAN_TICK_INTERVAL_S="0.5",
            TONGBAN_LOG_LEVEL="WARNING",
        )
        self.log = data_dir / f"worker-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(  # noqa: ASYNC220
                [sys.executable, "-m", "services.routing"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        await eventually(lambda: check_health(f"127.0.0.1:{self.port}", 1.0), timeout=60)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def worker_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def submit(bootstrap: str, catalog: topics.Catalog, cases: list[tuple[str, str]], department: str) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for case_id, province in cases:
        event = cloudevents.stamp(
            events_pb2.ApplicationSubmitted(
                case_id=case_id,
                target_province=province,
                department=department,
                matter_code="HF-TRANSFER",
                needs=types_pb2.SpecialNeeds(elderly=len(case_id) % 2 == 0),
            )
        )
        key, value, headers = cloudevents.encode(event, source="test", key=case_id)
        producer.send(catalog.name(topics.APPLICATION), key=key, value=value, headers=headers)
    producer.flush()
    producer.close()


def routing_events(bootstrap: str, catalog: topics.Catalog, wanted: set[str]) -> list[cloudevents.Envelope]:
    consumer = KafkaConsumer(
        catalog.name(topics.ROUTING),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    found = []
    for record in consumer:
        envelope = cloudevents.decode(record.key, record.value, record.headers)
        if envelope.case_id in wanted:
            found.append(envelope)
    consumer.close()
    return found


async def officials_bot(port_of: list[int], handled: dict[str, str], stop: asyncio.Event) -> None:
    """Officials who accept every offer and finish at once; they ride out a worker restart."""
    while not stop.is_set():
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port_of[0]}") as channel:
                stub = routing_pb2_grpc.RoutingServiceStub(channel)
                while not stop.is_set():
                    for province, ids in OFFICIALS.items():
                        for oid in ids:
                            o = (
                                await stub.GetOfficial(
                                    routing_pb2.GetOfficialRequest(official_id=oid, province=province),
                                    timeout=5,
                                )
                            ).official
                            if o.presence == types_pb2.PRESENCE_BUSY and o.case_id:
                                # accepted, but the answer was lost with the killed worker:
                                # the console shows the assigned case after reconnecting
                                handled.setdefault(o.case_id, oid)
                                await stub.FinishCase(
                                    routing_pb2.FinishCaseRequest(
                                        official_id=oid, province=province, case_id=o.case_id
                                    ),
                                    timeout=5,
                                )
                            elif o.reservation_id:
                                reply = await stub.AcceptReservation(
                                    routing_pb2.AcceptReservationRequest(
                                        official_id=oid, province=province, reservation_id=o.reservation_id
                                    ),
                                    timeout=5,
                                )
                                handled.setdefault(reply.case_id, oid)
                                await stub.FinishCase(
                                    routing_pb2.FinishCaseRequest(
                                        official_id=oid, province=province, case_id=reply.case_id
                                    ),
                                    timeout=5,
                                )
                    await asyncio.sleep(0.05)
        except grpc.aio.AioRpcError:
            await asyncio.sleep(0.5)  # the worker is away or refused a stale offer: try again


async def test_kill_a_worker_mid_stream_nothing_lost_or_doubled(
    kafka_bootstrap: str, topic_namespace: topics.Catalog, worker_dir: Path
) -> None:
    catalog = topic_namespace
    app_id = "tongban-routing"
    department = "housing_fund"
    worker = WorkerProcess(kafka_bootstrap, app_id, worker_dir, catalog)
    replacement = WorkerProcess(kafka_bootstrap, app_id, worker_dir, catalog)
    await worker.start()
    port_of = [worker.port]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{worker.port}") as channel:
        stub = routing_pb2_grpc.RoutingServiceStub(channel)
        for province, ids in OFFICIALS.items():
            for oid in ids:
                await stub.RegisterOfficial(
                    routing_pb2.RegisterOfficialRequest(
                        official=routing_pb2.Official(id=oid, province=province, department=department)
                    )
                )
                await stub.SetPresence(
                    routing_pb2.SetPresenceRequest(
                        official_id=oid, province=province, presence=types_pb2.PRESENCE_AVAILABLE
                    )
                )
    cases = [(str(uuid.uuid4()), "310000" if i % 4 else "340000") for i in range(60)]
    handled: dict[str, str] = {}
    stop = asyncio.Event()
    bot = asyncio.create_task(officials_bot(port_of, handled, stop))
    try:
        await asyncio.to_thread(submit, kafka_bootstrap, catalog, cases[:30], department)
        await eventually(lambda: len(handled) >= 10, timeout=60)
        worker.kill()  # mid-stream: cases queued, reserved and assigned
        await asyncio.to_thread(submit, kafka_bootstrap, catalog, cases[30:], department)
        await replacement.start()
        port_of[0] = replacement.port
        try:
            await eventually(lambda: len(handled) == len(cases), timeout=180)
        except AssertionError:
            missing = {c for c, _ in cases} - set(handled)
            seen = await asyncio.to_thread(routing_events, kafka_bootstrap, catalog, missing)
            last: dict[str, str] = {}
            for envelope in seen:
                last[envelope.case_id] = envelope.short_type
            print("handled", len(handled), "missing", len(missing), sorted(last.values()))
            print(replacement.log.read_text()[-3000:])
            raise
    finally:
        stop.set()
        await bot
        worker.stop()
        replacement.stop()

    province_of = dict(cases)
    for case_id, oid in handled.items():  # only ever to its own jurisdiction
        assert oid in OFFICIALS[province_of[case_id]]
    events = await asyncio.to_thread(routing_events, kafka_bootstrap, catalog, set(province_of))
    unique: dict[str, cloudevents.Envelope] = {}
    for envelope in events:
        unique.setdefault(envelope.id, envelope)  # consumers dedupe on ce_id
    assigned: dict[str, list[str]] = defaultdict(list)
    for envelope in unique.values():
        if envelope.short_type == "CaseAssigned":
            assigned[envelope.case_id].append(envelope.event.official_id)  # type: ignore[attr-defined]
            assert envelope.key == province_of[envelope.case_id]
    assert set(assigned) == set(province_of)  # no submitted case lost
    assert all(len(v) == 1 for v in assigned.values())  # none assigned twice


async def test_order_priority_aging_fifo_through_the_real_broker(
    kafka_bootstrap: str, topic_namespace: topics.Catalog, worker_dir: Path
) -> None:
    """Cases wait while nobody is available; then one official takes them one by one, and
    the order of the offers is the queue order (priority first, FIFO among equals)."""
    worker = WorkerProcess(kafka_bootstrap, "tongban-routing", worker_dir, topic_namespace)
    await worker.start()
    province = "320000"
    department = "housing_fund"
    cases = [(f"{i:02d}-{uuid.uuid4()}", i in (2, 4)) for i in range(6)]  # 2 and 4: priority
    try:
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
        for case_id, priority in cases:
            event = cloudevents.stamp(
                events_pb2.ApplicationSubmitted(
                    case_id=case_id,
                    target_province=province,
                    department=department,
                    matter_code="X",
                    needs=types_pb2.SpecialNeeds(elderly=priority),
                )
            )
            key, value, headers = cloudevents.encode(event, source="test", key=case_id)
            producer.send(topic_namespace.name(topics.APPLICATION), key=key, value=value, headers=headers)
            producer.flush()
            await asyncio.sleep(0.05)  # distinct arrival times
        producer.close()
        offered: list[str] = []
        async with grpc.aio.insecure_channel(f"127.0.0.1:{worker.port}") as channel:
            stub = routing_pb2_grpc.RoutingServiceStub(channel)

            async def all_queued() -> bool:
                states = [
                    (
                        await stub.GetQueuePosition(
                            routing_pb2.GetQueuePositionRequest(case_id=c, province=province)
                        )
                    ).state
                    for c, _ in cases
                ]
                return all(s == "queued" for s in states)

            await eventually(all_queued, timeout=60)
            await stub.RegisterOfficial(
                routing_pb2.RegisterOfficialRequest(
                    official=routing_pb2.Official(id="js-1", province=province, department=department)
                )
            )
            await stub.SetPresence(
                routing_pb2.SetPresenceRequest(
                    official_id="js-1", province=province, presence=types_pb2.PRESENCE_AVAILABLE
                )
            )
            while len(offered) < len(cases):

                async def offer() -> str:
                    o = (
                        await stub.GetOfficial(
                            routing_pb2.GetOfficialRequest(official_id="js-1", province=province)
                        )
                    ).official
                    return str(o.reservation_id) if o.reservation_id else ""

                reservation = await eventually(offer, timeout=30)
                case_id = (
                    await stub.AcceptReservation(
                        routing_pb2.AcceptReservationRequest(
                            official_id="js-1", province=province, reservation_id=reservation
                        )
                    )
                ).case_id
                offered.append(case_id)
                holding = (
                    await stub.GetOfficial(
                        routing_pb2.GetOfficialRequest(official_id="js-1", province=province)
                    )
                ).official
                assert holding.case_id == case_id and not holding.reservation_id  # one at a time
                await stub.FinishCase(
                    routing_pb2.FinishCaseRequest(official_id="js-1", province=province, case_id=case_id)
                )
    finally:
        worker.stop()
    expected = [c for c, p in cases if p] + [c for c, p in cases if not p]
    assert offered == expected
