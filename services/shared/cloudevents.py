"""CloudEvents on Kafka, binary mode: attributes in headers, the proto event as the value.

Headers: ce_id, ce_type (full proto message name), ce_source, ce_specversion, ce_time
(RFC 3339), content-type: application/protobuf. The key is the case id unless the topic
catalog says otherwise (routing keys by province).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf import json_format, timestamp_pb2
from google.protobuf.message import DecodeError, Message

from tongban.events.v1 import events_pb2

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/protobuf"
Headers = list[tuple[str, bytes]]

# Every journey event by its full proto name: what a consumer may decode.
EVENT_TYPES: dict[str, type[Message]] = {
    descriptor.full_name: getattr(events_pb2, name)
    for name, descriptor in events_pb2.DESCRIPTOR.message_types_by_name.items()
}


class PoisonRecord(Exception):
    """A record that cannot be decoded or fails validation; it goes to the dead-letter topic."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    source: str
    time: datetime
    key: str
    event: Message

    @property
    def short_type(self) -> str:
        return self.type.rsplit(".", 1)[-1]

    @property
    def case_id(self) -> str:
        return str(getattr(self.event, "case_id", ""))

    def to_json(self) -> str:
        """The event as JSON, for timelines and the operator views (events carry no clear PII)."""
        text: str = json_format.MessageToJson(
            self.event, preserving_proto_field_name=True, indent=None, ensure_ascii=False
        )
        return text


def new_event_id() -> str:
    return str(uuid.uuid4())


def now() -> datetime:
    return datetime.now(UTC)


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    """A protobuf Timestamp for API replies (None stays unset)."""
    if value is None:
        return None
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(value)
    return result


def stamp(event: Message, at: datetime | None = None) -> Message:
    """Sets occurred_at (every event has it) and returns the event."""
    event.occurred_at.FromDatetime(at or now())  # type: ignore[attr-defined]
    return event


def make_headers(event_type: str, source: str, event_id: str, at: datetime) -> Headers:
    return [
        ("ce_id", event_id.encode()),
        ("ce_type", event_type.encode()),
        ("ce_source", source.encode()),
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_time", at.isoformat().replace("+00:00", "Z").encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]


def encode(
    event: Message,
    *,
    source: str,
    key: str,
    event_id: str | None = None,
    at: datetime | None = None,
) -> tuple[bytes, bytes, Headers]:
    """(key, value, headers) for one Kafka record."""
    headers = make_headers(event.DESCRIPTOR.full_name, source, event_id or new_event_id(), at or now())
    return key.encode(), event.SerializeToString(), headers


def header_map(headers: Iterable[tuple[str, bytes | None]] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers or ():
        if value is not None:
            out[name] = value.decode("utf-8", errors="replace")
    return out


def decode(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes | None]] | None
) -> Envelope:
    """Decodes one record or raises PoisonRecord saying why."""
    attrs = header_map(headers)
    missing = [h for h in ("ce_id", "ce_type", "ce_source", "ce_specversion") if h not in attrs]
    if missing:
        raise PoisonRecord(f"missing CloudEvents headers: {', '.join(missing)}")
    if attrs["ce_specversion"] != SPEC_VERSION:
        raise PoisonRecord(f"unsupported ce_specversion {attrs['ce_specversion']}")
    if attrs.get("content-type", CONTENT_TYPE) != CONTENT_TYPE:
        raise PoisonRecord(f"unsupported content-type {attrs['content-type']}")
    kind = EVENT_TYPES.get(attrs["ce_type"])
    if kind is None:
        raise PoisonRecord(f"unknown ce_type {attrs['ce_type']}")
    if value is None:
        raise PoisonRecord("empty value")
    event = kind()
    try:
        event.ParseFromString(value)
    except DecodeError as exc:
        raise PoisonRecord(f"value is not a valid {attrs['ce_type']}: {exc}") from exc
    try:
        time = datetime.fromisoformat(attrs.get("ce_time", "").replace("Z", "+00:00"))
    except ValueError as exc:
        raise PoisonRecord(f"bad ce_time {attrs.get('ce_time')!r}") from exc
    return Envelope(
        id=attrs["ce_id"],
        type=attrs["ce_type"],
        source=attrs["ce_source"],
        time=time,
        key=(key or b"").decode("utf-8", errors="replace"),
        event=event,
    )


def dead_letter_headers(
    headers: Sequence[tuple[str, bytes | None]] | None,
    reason: str,
    topic: str,
    partition: int,
    offset: int,
    consumer: str,
) -> Headers:
    """The original headers plus why and where from, so `tongban dlq replay` can put it back."""
    kept = [(k, v) for k, v in headers or () if v is not None and not k.startswith("dlq_")]
    return kept + [
        ("dlq_reason", reason.encode()),
        ("dlq_topic", topic.encode()),
        ("dlq_partition", str(partition).encode()),
        ("dlq_offset", str(offset).encode()),
        ("dlq_consumer", consumer.encode()),
        ("dlq_time", now().isoformat().encode()),
    ]
