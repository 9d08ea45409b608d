"""The live views over the real broker and services: one consumer fans events out to the
kiosk, official and operator WebSockets by their filters; refused sockets say why; dead
letters and consumer lag read from Kafka itself. Events of other cases and officials are
published by the test itself, to show they do not reach the wrong socket."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import OffsetAndMetadata

from services.shared import cloudevents, topics
from tests.gateway.gateway_support import (
    RealStack,
    Socket,
    assigned,
    bearer,
    kiosk_case,
    kiosk_socket,
    offered,
    signed_in,
    staff,
    submitted_case,
    username_of,
)
from tests.support import eventually
from tongban.events.v1 import events_pb2


def publish(stack: RealStack, *events: Any) -> None:
    """Events as the services would send them, on the stack's own topics."""
    catalog = stack.catalog
    producer = KafkaProducer(bootstrap_servers=stack.kafka_bootstrap)
    for event in events:
        topic = catalog.topic_for_event(event.DESCRIPTOR.full_name)
        key, value, headers = cloudevents.encode(event, source="test", key=str(getattr(event, topic.key)))
        producer.send(topic.name, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()


async def open_socket(session: aiohttp.ClientSession, url: str, cookie: str = "") -> Socket:
    headers = {"Cookie": f"tongban_session={cookie}"} if cookie else {}
    socket = Socket(await session.ws_connect(url, headers=headers))
    await eventually(lambda: socket.messages, timeout=10)
    return socket


async def until_delivered(stack: RealStack, socket: Socket, type_: str, *events: Any) -> None:
    """Publishes until the socket has an event of `type_`: the gateway's consumer starts at
    the latest offsets, so the first records may land before its positions are set."""

    async def delivered() -> bool:
        if not socket.of_type(type_):
            await asyncio.to_thread(publish, stack, *events)
            await asyncio.sleep(0.5)
        return bool(socket.of_type(type_))

    await eventually(delivered, timeout=40, interval=0.1)


async def test_operators_see_filtered_events_and_live_figures(stack: RealStack, province: str) -> None:
    case_id = str(uuid.uuid4())
    ws_url = stack.gateway.url.replace("http", "ws")
    async with signed_in(stack.gateway, "operator-1") as operator, aiohttp.ClientSession() as http:
        cookie = operator.cookies["tongban_session"]
        filtered = await open_socket(
            http, f"{ws_url}/ws/operator?type=casequeued&province={province}", cookie
        )
        everything = await open_socket(http, f"{ws_url}/ws/operator?case={case_id}", cookie)
        assert filtered.messages[0]["kind"] == "hello"
        await until_delivered(
            stack,
            everything,
            "CaseQueued",
            events_pb2.ApplicationCreated(case_id=case_id, target_province=province),
            events_pb2.CaseQueued(case_id=str(uuid.uuid4()), province="340000", position=1),
            events_pb2.CaseQueued(case_id=case_id, province=province, position=3, estimated_wait_seconds=90),
        )
        await eventually(lambda: filtered.of_type("CaseQueued"), timeout=10)
        await asyncio.sleep(0.5)
        assert all(m["data"]["province"] == province for m in filtered.of_type("CaseQueued"))
        assert not filtered.of_type("ApplicationCreated")
        event = everything.of_type("CaseQueued")[0]
        assert event["data"]["position"] == 3 and event["topic"] == "tongban.routing"
        assert {m["case_id"] for m in everything.messages if m["kind"] == "event"} == {case_id}
        figures = (await operator.get("/api/v1/operator/live")).json()
        assert figures["by_type"]["CaseQueued"] >= 1
        assert sum(figures["series"]["tongban.routing"]) >= 1
        for socket in (filtered, everything):
            await socket.ws.close()


async def test_an_official_hears_their_offers_and_their_cases_only(
    stack: RealStack,
    province: str,
) -> None:
    ws_url = stack.gateway.url.replace("http", "ws")
    async with (
        staff(stack.gateway, "official", province) as official,
        stack.gateway.client() as applicant,
        aiohttp.ClientSession() as http,
    ):
        me = username_of(official)
        socket = await open_socket(http, f"{ws_url}/ws/official", official.cookies["tongban_session"])
        assert socket.messages[0]["user"]["username"] == me
        theirs = str(uuid.uuid4())  # another official's offer, in the same province
        publish(
            stack,
            events_pb2.CaseReserved(
                case_id=theirs, province=province, reservation_id="r-8", official_id="someone-else"
            ),
        )
        case_id, token = await submitted_case(applicant, province)
        reservation = await offered(official, case_id)
        offer = (await eventually(lambda: socket.of_type("CaseReserved"), timeout=30))[0]
        assert offer["case_id"] == case_id and offer["data"]["reservation_id"] == reservation
        assert offer["data"]["official_id"] == me and offer["data"]["expires_at"]
        await official.post(f"/api/v1/official/reservations/{reservation}/accept")
        await eventually(lambda: socket.of_type("CaseAssigned"), timeout=30)
        await eventually(lambda: socket.of_type("WindowOpened"), timeout=30)
        events = [m for m in socket.messages if m["kind"] == "event"]
        assert {m["case_id"] for m in events if m["case_id"]} == {case_id}  # not `theirs`
        assert all(m["data"]["official_id"] == me for m in socket.of_type("OfficialStateChanged"))
        # the applicant confirming the summary reaches the official at once (no Kafka)
        kiosk = await kiosk_socket(http, ws_url, token)
        await eventually(lambda: kiosk.messages, timeout=10)
        sent = await official.post(
            f"/api/v1/official/cases/{case_id}/summary", json={"summary": "公积金转移，材料齐全"}
        )
        assert sent.status_code == 200, sent.text
        await eventually(lambda: kiosk.of_type("OfficialSummary"), timeout=10)
        summary = kiosk.of_type("OfficialSummary")[0]["data"]
        assert summary == {"summary": "公积金转移，材料齐全"}  # no official's username for the kiosk
        await applicant.post(
            f"/api/v1/kiosk/cases/{case_id}/confirm", json={"confirmed": True}, headers=bearer(token)
        )
        confirmed = await eventually(lambda: socket.of_type("ApplicantConfirmed"), timeout=10)
        assert confirmed[0]["data"]["confirmed"] is True
        for open_one in (socket, kiosk):
            await open_one.ws.close()


async def test_a_kiosk_hears_its_own_case_only(stack: RealStack, province: str) -> None:
    ws_url = stack.gateway.url.replace("http", "ws")
    async with (
        stack.gateway.client() as kiosk,
        aiohttp.ClientSession() as http,
        staff(stack.gateway, "official", province) as official,
    ):
        case_id, token = await kiosk_case(kiosk, province)
        socket = await kiosk_socket(http, ws_url, token)
        await eventually(lambda: socket.messages, timeout=10)
        assert socket.messages[0] == {"kind": "hello", "case_id": case_id}
        publish(
            stack,
            events_pb2.QueuePositionChanged(case_id=str(uuid.uuid4()), province=province, position=9),
        )
        for code, data in (
            ("id_card", b"\xff\xd8\xff" + bytes(100)),
            ("form", b"%PDF-1.4"),
            ("new_account", b"\xff\xd8\xff" + bytes(100)),
        ):
            await kiosk.post(
                f"/api/v1/kiosk/cases/{case_id}/materials",
                params={"material_code": code},
                content=data,
                headers=bearer(token) | {"Content-Type": "image/jpeg"},
            )
        await kiosk.post(f"/api/v1/kiosk/cases/{case_id}/submit", headers=bearer(token))
        queued = await eventually(lambda: socket.of_type("CaseQueued"), timeout=30)
        assert queued[0]["data"]["position"] == 1
        await assigned(official, case_id)
        await eventually(lambda: socket.of_type("WindowOpened"), timeout=30)
        kinds = [m["type"] for m in socket.messages if m["kind"] == "event"]
        for step in ("ApplicationSubmitted", "CaseQueued", "CaseReserved", "CaseAssigned"):
            assert step in kinds
        assert {m["case_id"] for m in socket.messages if m["kind"] == "event"} == {case_id}
        await socket.ws.close()


async def test_refused_sockets_say_why_in_both_languages(stack: RealStack) -> None:
    ws_url = stack.gateway.url.replace("http", "ws")
    async with signed_in(stack.gateway, "sh-official-1") as official, aiohttp.ClientSession() as http:
        cookie = official.cookies["tongban_session"]
        cases = [
            (f"{ws_url}/ws/kiosk", "", {}, 4401),  # no credentials in the first message
            (f"{ws_url}/ws/kiosk?token=forged.token", "", {}, 4400),  # never in the URL
            (f"{ws_url}/ws/official", "", {}, 4401),
            (f"{ws_url}/ws/operator", cookie, {}, 4403),
            (f"{ws_url}/ws/official", cookie, {"Origin": "http://evil.example"}, 4403),
        ]
        for url, session, extra, code in cases:
            headers = extra | ({"Cookie": f"tongban_session={session}"} if session else {})
            async with http.ws_connect(url, headers=headers) as ws:
                message = await ws.receive_json(timeout=10)
                assert message["kind"] == "error", url
                assert message["error"]["message_zh"] and message["error"]["message_en"]
                await ws.receive(timeout=10)
                assert ws.close_code == code, (url, ws.close_code)
    async with signed_in(stack.gateway, "operator-1") as operator, aiohttp.ClientSession() as http:
        cookie = {"Cookie": f"tongban_session={operator.cookies['tongban_session']}"}
        async with http.ws_connect(f"{ws_url}/ws/operator?province=shanghai", headers=cookie) as ws:
            assert (await ws.receive_json(timeout=10))["error"]["code"] == "invalid_argument"


async def test_dead_letters_and_consumer_lag(stack: RealStack, kafka_bootstrap: str) -> None:
    marker = uuid.uuid4().hex
    window = stack.catalog.name(topics.WINDOW)
    group = stack.catalog.group(f"lagging-{marker}")

    def park_and_lag() -> None:
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
        producer.send(
            stack.catalog.dead_letter,
            key=marker.encode(),
            value=b"\x00garbage",
            headers=[
                ("dlq_reason", b"unknown ce_type tongban.events.v1.Nope"),
                ("dlq_topic", window.encode()),
                ("dlq_consumer", b"results"),
            ],
        ).get(15)
        producer.send(window, key=b"k", value=b"v").get(15)
        producer.close()
        consumer = KafkaConsumer(
            window,
            bootstrap_servers=kafka_bootstrap,
            group_id=group,
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        while not consumer.assignment():
            consumer.poll(timeout_ms=200)
        consumer.commit({tp: OffsetAndMetadata(0, "", -1) for tp in consumer.assignment()})
        consumer.close()

    await asyncio.to_thread(park_and_lag)
    async with signed_in(stack.gateway, "operator-1") as operator:
        records = (await operator.get("/api/v1/operator/dead-letters")).json()["records"]
        parked = next(r for r in records if r["key"] == marker)
        assert parked["reason"].startswith("unknown ce_type") and parked["topic"] == window
        assert parked["size"] == 8
        groups = (await operator.get("/api/v1/operator/lag")).json()["groups"]
        lagging = [g for g in groups if g["group"] == group]
        assert lagging and lagging[0]["topic"] == window and lagging[0]["lag"] >= 1
        # only the stack's own groups: not those of other stacks on the broker
        assert all(g["group"].startswith(stack.catalog.namespace + ".") for g in groups)
