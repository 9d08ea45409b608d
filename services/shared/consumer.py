"""A consumer loop for asyncio services: kafka-python polls on its own thread, each record is
decoded as a CloudEvent and handed to an async handler on the loop, and offsets are
committed only after the handler finished (at-least-once; handlers dedupe on ce_id).
Records that cannot be decoded go to the dead-letter topic and the loop carries on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from services.shared import cloudevents
from services.shared.cloudevents import Envelope, PoisonRecord
from services.shared.kafka import consumer as make_consumer
from services.shared.kafka import reliable_producer, send_to_dead_letter

log = logging.getLogger(__name__)
Handler = Callable[[Envelope], Coroutine[Any, Any, None]]


class EventConsumer:
    def __init__(
        self,
        bootstrap: str,
        topics: Sequence[str],
        group_id: str | None,
        handler: Handler,
        name: str,
        types: set[str] | None = None,
        from_latest: bool = False,
    ) -> None:
        """`types` (short names, e.g. {"CaseAssigned"}) filters what reaches the handler."""
        self.bootstrap = bootstrap
        self.topics = list(topics)
        self.group_id = group_id
        self.handler = handler
        self.name = name
        self.types = types
        self.from_latest = from_latest
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ready = asyncio.Event()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-consumer", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 15)

    def _run(self) -> None:
        assert self._loop is not None
        consumer: KafkaConsumer = make_consumer(
            self.bootstrap,
            self.group_id,
            f"tongban-{self.name}",
            auto_offset_reset="latest" if self.from_latest else "earliest",
        )
        dead_letters: KafkaProducer | None = None
        try:
            # the topics' partitions into the client's metadata before it joins its group: a
            # member that joins without them is assigned nothing until its next metadata
            # refresh, minutes later (a topic created a moment before)
            for topic in self.topics:
                consumer.partitions_for_topic(topic)
            consumer.subscribe(self.topics)
            while not self._stop.is_set():
                batch = consumer.poll(timeout_ms=200)
                if consumer.assignment() and not self.ready.is_set():
                    self._loop.call_soon_threadsafe(self.ready.set)
                for records in batch.values():
                    for record in records:
                        dead_letters = self._handle(record, dead_letters)
                if batch and self.group_id:
                    consumer.commit()
        except Exception:
            log.exception("consumer stopped on an error", extra={"consumer": self.name})
            raise
        finally:
            consumer.close()
            if dead_letters is not None:
                dead_letters.close(timeout=5)

    def _handle(self, record: Any, dead_letters: KafkaProducer | None) -> KafkaProducer | None:
        assert self._loop is not None
        try:
            envelope = cloudevents.decode(record.key, record.value, record.headers)
        except PoisonRecord as poison:
            dead_letters = dead_letters or reliable_producer(self.bootstrap, f"{self.name}-dlq")
            send_to_dead_letter(dead_letters, record, poison.reason, self.name)
            return dead_letters
        if self.types is not None and envelope.short_type not in self.types:
            return dead_letters
        future = asyncio.run_coroutine_threadsafe(self.handler(envelope), self._loop)
        future.result()  # the handler's error stops the loop: offsets stay uncommitted
        return dead_letters
