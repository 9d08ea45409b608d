from datetime import UTC, datetime

import pytest

from services.shared import cloudevents
from services.shared.cloudevents import PoisonRecord
from tongban.events.v1 import events_pb2


def sample() -> events_pb2.CaseQueued:
    event = events_pb2.CaseQueued(case_id="c-1", province="310000", department="hf", position=3)
    cloudevents.stamp(event, datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    return event


def test_round_trip_carries_every_attribute() -> None:
    at = datetime(2026, 11, 24, 8, 0, 1, tzinfo=UTC)
    key, value, headers = cloudevents.encode(sample(), source="routing", key="310000", event_id="e-1", at=at)
    names = dict(headers)
    assert names["ce_type"] == b"tongban.events.v1.CaseQueued"
    assert names["ce_specversion"] == b"1.0"
    assert names["content-type"] == b"application/protobuf"
    assert names["ce_time"] == b"2026-11-24T08:00:01Z"
    envelope = cloudevents.decode(key, value, headers)
    assert envelope.id == "e-1" and envelope.source == "routing" and envelope.key == "310000"
    assert envelope.time == at
    assert envelope.event == sample()
    assert envelope.short_type == "CaseQueued" and envelope.case_id == "c-1"
    assert '"position": 3' in envelope.to_json()


def test_every_event_type_is_registered() -> None:
    assert "tongban.events.v1.WindowRecordingStored" in cloudevents.EVENT_TYPES
    assert len(cloudevents.EVENT_TYPES) >= 30


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: [x for x in h if x[0] != "ce_id"], "missing CloudEvents headers: ce_id"),
        (lambda h: [(k, b"0.3" if k == "ce_specversion" else v) for k, v in h], "ce_specversion"),
        (
            lambda h: [(k, b"tongban.events.v1.Nope" if k == "ce_type" else v) for k, v in h],
            "unknown ce_type",
        ),
        (lambda h: [(k, b"application/json" if k == "content-type" else v) for k, v in h], "content-type"),
        (lambda h: [(k, b"yesterday" if k == "ce_time" else v) for k, v in h], "bad ce_time"),
    ],
)
def test_bad_headers_are_poison(mutate, reason) -> None:  # type: ignore[no-untyped-def]
    key, value, headers = cloudevents.encode(sample(), source="t", key="k")
    with pytest.raises(PoisonRecord, match=reason):
        cloudevents.decode(key, value, mutate(headers))


def test_garbage_value_is_poison() -> None:
    key, _, headers = cloudevents.encode(sample(), source="t", key="k")
    with pytest.raises(PoisonRecord, match="not a valid"):
        cloudevents.decode(key, b"\xff\xff\xff\xff", headers)


def test_dead_letter_headers_keep_origin_and_reason() -> None:
    _, _, headers = cloudevents.encode(sample(), source="t", key="k")
    out = dict(cloudevents.dead_letter_headers(headers, "bad", "tongban.routing", 2, 41, "results"))
    assert out["dlq_reason"] == b"bad" and out["dlq_offset"] == b"41"
    assert out["ce_type"] == b"tongban.events.v1.CaseQueued"
