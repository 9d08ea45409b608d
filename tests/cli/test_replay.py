"""The rebuild's pieces against the real broker and PostgreSQL: a projector that counts
poison records instead of parking them again, and the offset bounds it stops at."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from google.protobuf.message import Message
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from cli import main as cli
from cli.replay import Bounds, replay, topic_bounds
from services.results.__main__ import MIGRATIONS
from services.results.projection import CONSUMER, Projector, TimelineWriter
from services.shared import cloudevents, migrations, topics
from tests.support import eventually
from tongban.events.v1 import events_pb2
from tongban.types.v1 import types_pb2


def dead_letters_from(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(
        topics.DEAD_LETTER,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    found = sum(
        1 for r in consumer if (b"dlq_topic", topic.encode()) in [(k.encode(), v) for k, v in r.headers]
    )
    consumer.close()
    return found


async def test_a_rebuild_counts_poison_records_and_leaves_the_dead_letter_topic_alone(
    kafka_bootstrap: str,
    fresh_database: str,
) -> None:
    topics.ensure_topics(kafka_bootstrap, topics.load())
    topic = f"test.replay.{uuid.uuid4().hex[:6]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(topic, 1, 1)])
    admin.close()
    key, value, headers = cloudevents.encode(
        cloudevents.stamp(events_pb2.CaseQueued(case_id="c-replay", province="510000")),
        source="routing",
        key="c-replay",
    )
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(topic, key=b"x", value=b"not protobuf", headers=[("ce_type", b"nope")])
    producer.send(topic, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()
    bounds = await asyncio.to_thread(topic_bounds, kafka_bootstrap, [topic])
    assert bounds.records == 2 and not bounds.reached({})
    await migrations.prepare(fresh_database, MIGRATIONS)
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=2)
    projector = Projector(
        TimelineWriter(pool, "replay-test"),
        kafka_bootstrap,
        [topic],
        group_id=f"test-replay-{uuid.uuid4().hex[:6]}",
        park_poison=False,
    )
    projector.start()
    try:

        async def read_both() -> bool:
            offsets = await TimelineWriter(pool, "replay-test").offsets([(topic, 0)])
            return bounds.reached(offsets)

        await eventually(read_both, timeout=30)
    finally:
        await projector.stop()
    assert projector.poison == 1
    assert await pool.fetchval("SELECT count(*) FROM timeline WHERE case_id = 'c-replay'") == 1
    await pool.close()
    assert await asyncio.to_thread(dead_letters_from, kafka_bootstrap, topic) == 0


def test_bounds_count_only_what_the_topics_still_hold() -> None:
    bounds = Bounds({("t", 0): 10, ("t", 1): 0}, {("t", 0): 15, ("t", 1): 0})
    assert bounds.records == 5
    assert bounds.read({("t", 0): 12}) == 2 and bounds.read({}) == 0
    assert not bounds.reached({("t", 0): 14}) and bounds.reached({("t", 0): 15})


def test_bad_simulate_and_replay_input_gets_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["simulate", "--halls", "99"]) == 2
    assert "--halls must be between 1 and" in capsys.readouterr().err
    assert cli.main(["simulate", "--supplement-share", "0.7", "--reject-share", "0.6"]) == 2
    assert "summing to 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["simulate", "--rate", "0"])
    assert "must be greater than 0" in capsys.readouterr().err
    assert cli.main(["replay", "--schema", "Robert'); DROP TABLE cases;--"]) == 2
    assert "schema names" in capsys.readouterr().err


def supplement_cases(count: int) -> list[Message]:
    """补正 cases whose supplement never comes (issue 13, bug 2's case), in journey order."""
    outcome = types_pb2.DECISION_OUTCOME_SUPPLEMENT_REQUESTED
    events: list[Message] = []
    for case_id in (str(uuid.uuid4()) for _ in range(count)):
        events += [
            events_pb2.ApplicationCreated(
                case_id=case_id, matter_code="HF-TRANSFER", target_province="310000"
            ),
            events_pb2.MaterialUploaded(case_id=case_id, material_code="new_account"),
            events_pb2.ApplicationSubmitted(case_id=case_id, target_province="310000"),
            events_pb2.CaseQueued(case_id=case_id, province="310000"),
            events_pb2.CaseReserved(case_id=case_id, province="310000", official_id="sh-1"),
            events_pb2.CaseAssigned(case_id=case_id, province="310000", official_id="sh-1"),
            events_pb2.WindowConnected(case_id=case_id),
            events_pb2.DecisionRecorded(case_id=case_id, outcome=outcome, supplements=["new_account"]),
            events_pb2.WindowClosed(case_id=case_id),
        ]
    return events


def publish_on_own_topics(bootstrap: str, events: list[Message]) -> list[str]:
    """Each event on a fresh topic of its catalog topic's kind (routing's keyed by province),
    so the test's projections read nothing of other tests; returns the topics."""
    catalog = topics.load()
    names = {
        t.name: f"test.replay.{t.name.rsplit('.', 1)[-1]}.{uuid.uuid4().hex[:6]}" for t in catalog.topics
    }
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(n, 3, 1) for n in names.values()])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    used: set[str] = set()
    for event in events:
        topic = catalog.topic_for_event(event.DESCRIPTOR.full_name)
        key, value, headers = cloudevents.encode(event, source="test", key=str(getattr(event, topic.key)))
        producer.send(names[topic.name], key=key, value=value, headers=headers)
        used.add(names[topic.name])
    producer.flush()
    producer.close()
    return sorted(used)


async def test_replay_rebuilds_the_live_statuses_and_calls_a_difference_a_mismatch(
    kafka_bootstrap: str, fresh_database: str
) -> None:
    events = supplement_cases(30)
    await migrations.prepare(fresh_database, MIGRATIONS)
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=4)
    names = await asyncio.to_thread(publish_on_own_topics, kafka_bootstrap, events)
    live = Projector(
        TimelineWriter(pool, CONSUMER), kafka_bootstrap, names, group_id=f"test-live-{uuid.uuid4().hex[:6]}"
    )
    live.start()
    try:
        report = await replay(
            fresh_database, kafka_bootstrap, show_progress=False, topic_names=names, drop=True
        )
        assert report.records == len(events) and report.live_caught_up
        assert report.status_compared == 30 and report.status_differing == []
        assert report.matches and report.exit_code == 0
        assert await pool.fetchval("SELECT count(*) FROM cases WHERE status = 'SUPPLEMENT_REQUESTED'") == 30

        # a live projection that went astray: the rebuild says so, and exits non-zero
        astray = await pool.fetchval(
            "UPDATE cases SET status = 'SUBMITTED'"
            " WHERE case_id = (SELECT min(case_id) FROM cases) RETURNING case_id"
        )
        report = await replay(
            fresh_database, kafka_bootstrap, show_progress=False, topic_names=names, drop=True
        )
        assert report.status_differing == [(astray, "SUBMITTED", "SUPPLEMENT_REQUESTED")]
        assert not report.differing  # the same events: only the status tells
        assert not report.matches and report.exit_code == 1
        assert ["cases whose status differs", 1] in report.rows()
    finally:
        await live.stop()
        await pool.close()
