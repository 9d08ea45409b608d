"""The `tongban` CLI against the real broker."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from cli import main as cli
from services.shared import cloudevents, topics
from tongban.events.v1 import events_pb2


@pytest.fixture
def kafka(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> str:
    topics.ensure_topics(kafka_bootstrap, topics.load())
    monkeypatch.setattr(cli, "KAFKA", kafka_bootstrap)
    return kafka_bootstrap


def test_events_tail_shows_a_cases_events_masked(kafka: str, capsys: pytest.CaptureFixture[str]) -> None:
    case_id = str(uuid.uuid4())
    producer = KafkaProducer(bootstrap_servers=kafka)
    for event in (
        events_pb2.CaseQueued(case_id=case_id, province="310000", position=2),
        events_pb2.CaseAssigned(case_id=case_id, province="310000", official_id="o1"),
    ):
        key, value, headers = cloudevents.encode(cloudevents.stamp(event), source="routing", key="310000")
        producer.send("tongban.routing", key=key, value=value, headers=headers)
    producer.flush()
    producer.close()
    assert cli.main(["events", "tail", "--case", case_id, "--since", "5m", "--no-follow"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert "CaseQueued" in lines[0] and "position=2" in lines[0] and case_id in lines[0]
    assert "CaseAssigned" in lines[1] and "official_id=o1" in lines[1]
    assert (
        cli.main(
            [
                "events",
                "tail",
                "--case",
                case_id,
                "--type",
                "assigned",
                "--since",
                "5m",
                "--no-follow",
                "--json",
            ]
        )
        == 0
    )
    assert '"official_id": "o1"' in capsys.readouterr().out


def test_dlq_replay_puts_a_fixed_record_back(kafka: str, capsys: pytest.CaptureFixture[str]) -> None:
    topic = f"test.cli.{uuid.uuid4().hex[:6]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka)
    admin.create_topics([NewTopic(topic, 1, 1)])
    admin.close()
    key, value, headers = cloudevents.encode(
        cloudevents.stamp(events_pb2.CaseQueued(case_id="c-dlq")), source="routing", key="c-dlq"
    )
    parked = cloudevents.dead_letter_headers(headers, "decoder bug, fixed since", topic, 0, 7, "results")
    producer = KafkaProducer(bootstrap_servers=kafka)
    offset = producer.send(topics.DEAD_LETTER, key=key, value=value, headers=parked).get(15).offset
    producer.close()
    assert cli.main(["dlq", "list"]) == 0
    assert "decoder bug, fixed since" in capsys.readouterr().out
    assert cli.main(["dlq", "replay", str(offset)]) == 0
    consumer = KafkaConsumer(
        topic, bootstrap_servers=kafka, auto_offset_reset="earliest", consumer_timeout_ms=5000
    )
    back = list(consumer)
    consumer.close()
    assert len(back) == 1
    assert not any(k.startswith("dlq_") for k, _ in back[0].headers)
    assert cloudevents.decode(back[0].key, back[0].value, back[0].headers).case_id == "c-dlq"


def test_lag_lists_groups_per_topic(kafka: str) -> None:
    rows = cli.consumer_lag(kafka)
    assert all({"group", "topic", "lag"} <= set(row) and row["lag"] >= 0 for row in rows)


def test_since_parsing() -> None:
    assert cli.parse_since("10m") == 600 and cli.parse_since("2h") == 7200
    with pytest.raises(Exception, match="10m"):
        cli.parse_since("ten minutes")
