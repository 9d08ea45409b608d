"""The live event stream for the simulator's bots, as a console gets it: one Kafka reader
(no consumer group, from the end of every event topic) hands each event to the case it is
about and each offer (case.reserved) to the official it is for. Bots wait on events instead
of polling routing, whose every query is a command through Kafka to the worker that owns
the province: polling would load the system the simulation means to measure.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition

from services.shared import cloudevents
from services.shared.cloudevents import Envelope, PoisonRecord


class Stalled(TimeoutError):
    """A wait for an event that did not come; says what was awaited."""


@dataclass
class CaseLog:
    """Every event of one case in the order the feed read it."""

    events: list[Envelope] = field(default_factory=list)
    _waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def add(self, envelope: Envelope) -> None:
        self.events.append(envelope)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    def kinds(self) -> list[str]:
        return [e.short_type for e in self.events]

    async def next(self, kinds: Collection[str], start: int = 0, timeout: float = 60) -> tuple[int, Envelope]:
        """The first event of one of `kinds` at index `start` or later, and its index."""
        deadline = time.monotonic() + timeout
        while True:
            for index in range(start, len(self.events)):
                if self.events[index].short_type in kinds:
                    return index, self.events[index]
            start = len(self.events)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Stalled(f"waiting for {' or '.join(sorted(kinds))}")
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                continue  # the loop raises Stalled after a last look


@dataclass(frozen=True)
class Offer:
    """A reservation offered to an official, and where it sits in its case's log."""

    case_id: str
    reservation_id: str
    index: int


class EventFeed:
    """`await feed.start()` before the first request whose events matter, `stop()` at the end."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.cases: dict[str, CaseLog] = {}
        self.offers: dict[str, asyncio.Queue[Offer]] = {}
        self.read = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def case(self, case_id: str) -> CaseLog:
        return self.cases.setdefault(case_id, CaseLog())

    def offers_for(self, official_id: str) -> asyncio.Queue[Offer]:
        return self.offers.setdefault(official_id, asyncio.Queue())

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        consumer = await asyncio.to_thread(self._open)
        self._thread = threading.Thread(target=self._run, args=(consumer,), name="event-feed", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10)

    def _open(self) -> KafkaConsumer:
        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=100
        )
        partitions = [
            TopicPartition(t, p) for t in self.topics for p in consumer.partitions_for_topic(t) or ()
        ]
        consumer.assign(partitions)
        consumer.seek_to_end()
        for tp in partitions:  # resolve the end now: events of requests made next are seen
            consumer.position(tp)
        return consumer

    def _run(self, consumer: KafkaConsumer) -> None:
        assert self._loop is not None
        try:
            while not self._stop.is_set():
                for records in consumer.poll(timeout_ms=100).values():
                    for record in records:
                        try:
                            envelope = cloudevents.decode(record.key, record.value, record.headers)
                        except PoisonRecord:
                            continue  # the services' consumers park those; not ours to handle
                        self._loop.call_soon_threadsafe(self._dispatch, envelope)
        finally:
            consumer.close()

    def _dispatch(self, envelope: Envelope) -> None:
        self.read += 1
        if not envelope.case_id:
            return
        log = self.case(envelope.case_id)
        log.add(envelope)
        if envelope.short_type == "CaseReserved":
            event = envelope.event
            self.offers_for(event.official_id).put_nowait(  # type: ignore[attr-defined]
                Offer(
                    envelope.case_id,
                    event.reservation_id,  # type: ignore[attr-defined]
                    len(log.events) - 1,
                )
            )
