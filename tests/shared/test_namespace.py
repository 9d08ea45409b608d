"""The topic namespace: every topic and consumer group of a stack behind one prefix, so stacks
share a broker without seeing each other's records."""

from __future__ import annotations

import ast
import asyncio
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from gateway.config import GatewaySettings
from services.routing.config import RoutingSettings
from services.routing.worker import RoutingWorker
from services.shared import cloudevents, topics
from services.shared.consumer import EventConsumer
from services.shared.publisher import EventPublisher
from services.shared.settings import CommonSettings, SettingsError, load
from services.shared.topics import CatalogError
from tests.support import eventually
from tongban.events.v1 import events_pb2

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("services", "gateway", "cli", "bench", "tools", "deploycheck")


def test_a_namespace_prefixes_every_topic_and_group_and_keeps_the_catalog_names() -> None:
    plain = topics.load()
    spaced = topics.load(namespace="t-1a2b")
    assert [t.base for t in spaced.topics] == [t.name for t in plain.topics]
    assert all(t.name == f"t-1a2b.{t.base}" for t in spaced.topics)
    assert spaced.name(topics.ROUTING) == "t-1a2b.tongban.routing"
    assert spaced.topic_for_event("CaseQueued").name == "t-1a2b.tongban.routing"
    assert spaced.event_topics() == [f"t-1a2b.{name}" for name in plain.event_topics()]
    assert spaced.dead_letter == "t-1a2b.tongban.deadletter"
    assert spaced.group("tongban-window") == "t-1a2b.tongban-window"
    assert spaced.owns_group("t-1a2b.tongban-window") and not spaced.owns_group("tongban-window")
    assert not spaced.owns_group("t-1a2b0.tongban-window")
    assert spaced.base_name("t-1a2b.tongban.window") == topics.WINDOW
    assert spaced.base_name("elsewhere") == "elsewhere"
    # the empty namespace is the catalog as written, what make dev and deployments use
    assert plain.name(topics.ROUTING) == "tongban.routing" and plain.group("g") == "g"
    assert plain.owns_group("anything")


def test_every_topic_code_names_is_in_the_catalog() -> None:
    names = {t.name for t in topics.load().topics}
    named = [topics.APPLICATION, topics.ROUTING, topics.ROUTING_COMMANDS, topics.WINDOW, topics.RESULT]
    assert {*named, topics.DEAD_LETTER} <= names


@pytest.mark.parametrize("namespace", ["a_b", "a..b", ".a", "a.", "a b", "ü", "x" * 65])
def test_a_namespace_kafka_could_not_carry_is_refused(namespace: str) -> None:
    with pytest.raises(CatalogError, match="namespace"):
        topics.load(namespace=namespace)
    with pytest.raises(SettingsError, match="TONGBAN_TOPIC_NAMESPACE"):
        load(CommonSettings, {"TONGBAN_TOPIC_NAMESPACE": namespace})
    with pytest.raises(SettingsError, match="TONGBAN_TOPIC_NAMESPACE"):
        load(GatewaySettings, {"TONGBAN_TOPIC_NAMESPACE": namespace})


def test_settings_hand_out_the_catalog_of_their_namespace() -> None:
    settings = load(CommonSettings, {"TONGBAN_TOPIC_NAMESPACE": "ci-7.run-2"})
    assert settings.catalog().name(topics.RESULT) == "ci-7.run-2.tongban.result"
    assert load(GatewaySettings, {"TONGBAN_TOPIC_NAMESPACE": "g"}).catalog().namespace == "g"


def test_a_poison_record_is_parked_in_its_own_namespace() -> None:
    assert topics.dead_letter_for("ns-1.tongban.routing.commands") == "ns-1.tongban.deadletter"
    assert topics.dead_letter_for("a.b.tongban.window") == "a.b.tongban.deadletter"
    assert topics.dead_letter_for("tongban.routing.commands") == topics.DEAD_LETTER
    assert topics.dead_letter_for("tongban.routing") == topics.DEAD_LETTER
    assert topics.dead_letter_for("some.other.topic") == topics.DEAD_LETTER


def test_the_routing_workers_faust_topics_and_group_stay_in_the_namespace(tmp_path: Path) -> None:
    env = {"TONGBAN_TOPIC_NAMESPACE": "t-9", "TONGBAN_ROUTING_DATA_DIR": str(tmp_path)}
    worker = RoutingWorker(load(RoutingSettings, env))
    app = worker.app
    assert app.conf.id == "t-9.tongban-routing"  # the consumer group
    assert app.conf.reply_to.startswith("t-9.f-reply-")
    own = [t.changelog_topic.get_topic_name() for t in app.tables.values()]
    own.append(app._leader_assignor._leader_topic.get_topic_name())
    declared = [worker.applications, worker.commands, worker.events, worker.dead_letters]
    own += [t.get_topic_name() for t in declared]
    assert own and all(name.startswith("t-9.") for name in own), own


def topic_literals(path: Path, names: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and node.value in names:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    return found


def test_production_code_names_topics_only_through_the_catalog() -> None:
    names = {t.name for t in topics.load().topics}
    found = [
        hit
        for folder in PRODUCTION
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "services" / "shared" / "topics.py"
        for hit in topic_literals(path, names)
    ]
    assert not found, "use services.shared.topics (catalog.name(topics.X)):\n" + "\n".join(found)


async def test_two_stacks_on_one_broker_see_only_their_own_records(kafka_bootstrap: str) -> None:
    ours, theirs = (topics.load(namespace=f"t{uuid.uuid4().hex[:8]}") for _ in range(2))
    for catalog in (ours, theirs):
        topics.ensure_topics(kafka_bootstrap, catalog)
    received: dict[str, list[str]] = {"ours": [], "theirs": []}

    def collect(into: list[str]) -> object:
        async def handle(envelope: cloudevents.Envelope) -> None:
            into.append(envelope.case_id)

        return handle

    consumers = [
        EventConsumer(
            kafka_bootstrap,
            [catalog.name(topics.ROUTING)],
            catalog.group("tongban-window"),  # the same group name in both stacks
            collect(received[side]),  # type: ignore[arg-type]
            side,
        )
        for side, catalog in (("ours", ours), ("theirs", theirs))
    ]
    for consumer in consumers:
        consumer.start()
    publisher = EventPublisher(kafka_bootstrap, "test", ours)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    try:
        await publisher.publish(events_pb2.CaseQueued(case_id="ours-1", province="310000"), wait=True)
        producer.send(ours.name(topics.ROUTING), key=b"310000", value=b"poison").get(15)
        await eventually(lambda: received["ours"] == ["ours-1"], timeout=60)
        await asyncio.sleep(1.0)  # time for a leak to show
        assert received["theirs"] == []

        def parked(catalog: topics.Catalog) -> list[bytes]:
            reader = KafkaConsumer(
                catalog.dead_letter,
                bootstrap_servers=kafka_bootstrap,
                auto_offset_reset="earliest",
                consumer_timeout_ms=2000,
            )
            found = [r.value for r in reader]
            reader.close()
            return found

        assert await eventually(lambda: parked(ours), timeout=30) == [b"poison"]
        assert parked(theirs) == []
    finally:
        producer.close()
        await publisher.close()
        for consumer in consumers:
            await consumer.stop()
