"""The live views: one Kafka consumer (no group, from the latest offsets) fans every event
out to the WebSocket subscribers whose filter accepts it, and keeps the figures the
operator dashboard draws (events per second per topic, SLA breaches, window quality,
ratings).

Events carry masked data only, so what reaches a browser is what the services published.
The gateway never writes to Kafka: a record it cannot decode is counted and skipped (the
consumer that owns the topic dead-letters it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gateway.convert import to_json
from services.shared import cloudevents, topics
from services.shared.cloudevents import Envelope, PoisonRecord
from services.shared.consumer import EventConsumer

log = logging.getLogger(__name__)
QUEUE_SIZE = 500
RATE_WINDOW_S = 120
QUALITY_TTL_S = 120.0
PROVINCE_FIELDS = ("province", "target_province", "hall_province")


@dataclass(frozen=True)
class LiveEvent:
    id: str
    type: str
    source: str
    time: str
    topic: str
    key: str
    case_id: str
    data: dict[str, Any]
    local: bool = False  # a gateway notice, not a Kafka event

    @property
    def provinces(self) -> set[str]:
        found = {str(self.data[f]) for f in PROVINCE_FIELDS if self.data.get(f)}
        if self.topic == topics.ROUTING and self.key:
            found.add(self.key)
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "notice" if self.local else "event",
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "time": self.time,
            "topic": self.topic,
            "case_id": self.case_id,
            "data": self.data,
        }

    @classmethod
    def of(cls, topic: str, envelope: Envelope) -> LiveEvent:
        return cls(
            envelope.id,
            envelope.short_type,
            envelope.source,
            envelope.time.isoformat().replace("+00:00", "Z"),
            topic,
            envelope.key,
            envelope.case_id,
            to_json(envelope.event),
        )


Filter = Callable[[LiveEvent], bool]


@dataclass(eq=False)
class Subscription:
    accepts: Filter
    queue: asyncio.Queue[LiveEvent] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: int = 0

    def offer(self, event: LiveEvent) -> None:
        try:
            if self.accepts(event):
                self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1  # a slow browser loses events rather than slowing the others


def operator_filter(type_: str = "", province: str = "", case: str = "") -> Filter:
    wanted = type_.strip().lower()

    def accepts(event: LiveEvent) -> bool:
        if event.local:
            return False
        if wanted and wanted not in event.type.lower() and wanted != event.topic:
            return False
        if case and event.case_id != case:
            return False
        return not province or province in event.provinces

    return accepts


class Figures:
    """Counts for the dashboard, from the live stream since the gateway started."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.per_second: dict[str, deque[list[int]]] = {}
        self.by_type: Counter[str] = Counter()
        self.poison: Counter[str] = Counter()
        self.ratings: Counter[int] = Counter()
        self.sla_breaches: deque[dict[str, Any]] = deque(maxlen=100)
        self.quality: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self.started = clock()

    def count(self, event: LiveEvent) -> None:
        now = int(self.clock())
        buckets = self.per_second.setdefault(event.topic, deque())
        if buckets and buckets[-1][0] == now:
            buckets[-1][1] += 1
        else:
            buckets.append([now, 1])
        while buckets and buckets[0][0] <= now - RATE_WINDOW_S:
            buckets.popleft()
        self.by_type[event.type] += 1
        if event.type == "QueueSlaBreached":
            self.sla_breaches.appendleft(
                {
                    "time": event.time,
                    "case_id": event.case_id,
                    **{k: event.data.get(k) for k in ("province", "department", "waited_seconds")},
                }
            )
        elif event.type == "WindowMediaStats":
            key = (str(event.data.get("window_id", "")), str(event.data.get("seat", "")))
            self.quality[key] = (self.clock(), {"case_id": event.case_id, **event.data})
        elif event.type == "EvaluationSubmitted":
            self.ratings[int(event.data.get("level", 0))] += 1

    def snapshot(self, seconds: int = 60) -> dict[str, Any]:
        now = int(self.clock())
        series: dict[str, list[int]] = {}
        rates: dict[str, float] = {}
        for topic, buckets in self.per_second.items():
            counts = dict((s, c) for s, c in buckets)
            series[topic] = [counts.get(s, 0) for s in range(now - seconds, now)]
            rates[topic] = round(sum(series[topic][-10:]) / 10.0, 2)
        fresh = self.clock() - QUALITY_TTL_S
        self.quality = {k: v for k, v in self.quality.items() if v[0] >= fresh}
        total = sum(self.ratings.values())
        satisfied = sum(c for level, c in self.ratings.items() if level >= 3)
        return {
            "since": self.started,
            "now": now,
            "seconds": seconds,
            "events_per_second": rates,
            "series": series,
            "by_type": dict(self.by_type),
            "undecodable": dict(self.poison),
            "sla_breaches": list(self.sla_breaches)[:20],
            "window_quality": [v for _, v in sorted(self.quality.values(), key=lambda t: -t[0])],
            "ratings": {str(level): self.ratings.get(level, 0) for level in range(1, 6)},
            "satisfaction_rate": round(satisfied / total, 3) if total else None,
        }


class LiveHub:
    def __init__(self) -> None:
        self.subscriptions: set[Subscription] = set()
        self.figures = Figures()

    @contextlib.contextmanager
    def subscribe(self, accepts: Filter) -> Iterator[Subscription]:
        subscription = Subscription(accepts)
        self.subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self.subscriptions.discard(subscription)

    def publish(self, event: LiveEvent) -> None:
        if not event.local:
            self.figures.count(event)
        for subscription in list(self.subscriptions):
            subscription.offer(event)

    def publish_record(self, topic: str, envelope: Envelope) -> None:
        try:
            event = LiveEvent.of(topic, envelope)
        except Exception:  # an event the JSON conversion cannot handle must not stop the stream
            log.exception("live event not converted", extra={"type": envelope.type})
            return
        self.publish(event)

    def notice(self, case_id: str, type_: str, data: dict[str, Any]) -> None:
        """A gateway-local message (e.g. the applicant confirmed the summary) to the
        subscribers following `case_id`; operators do not see these."""
        self.publish(
            LiveEvent(
                cloudevents.new_event_id(),
                type_,
                "gateway",
                cloudevents.now().isoformat().replace("+00:00", "Z"),
                "",
                case_id,
                case_id,
                data,
                local=True,
            )
        )


class LiveConsumer(EventConsumer):
    """EventConsumer on every event topic, handing records to the hub without waiting. The
    hub and the consoles see the catalog's topic names, whatever the namespace."""

    def __init__(self, bootstrap: str, hub: LiveHub, catalog: topics.Catalog) -> None:
        async def unused(_: Envelope) -> None:
            return None

        super().__init__(bootstrap, catalog.event_topics(), None, unused, "gateway-live", from_latest=True)
        self.hub = hub
        self.catalog = catalog

    def _handle(self, record: Any, dead_letters: Any) -> Any:
        assert self._loop is not None
        topic = self.catalog.base_name(record.topic)
        try:
            envelope = cloudevents.decode(record.key, record.value, record.headers)
        except PoisonRecord:
            self._loop.call_soon_threadsafe(self.hub.figures.poison.update, [topic])
            return dead_letters
        self._loop.call_soon_threadsafe(self.hub.publish_record, topic, envelope)
        return dead_letters
