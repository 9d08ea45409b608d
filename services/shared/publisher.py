"""Direct event publishing for services without a database of their own (window): a
kafka-python idempotent producer on its own thread, awaited from asyncio.

Services with a database publish through the outbox instead, so a change and its event
cannot part.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.protobuf.message import Message
from kafka import KafkaProducer

from services.shared import cloudevents
from services.shared.kafka import reliable_producer
from services.shared.topics import Catalog


class EventPublisher:
    def __init__(self, bootstrap: str, source: str, catalog: Catalog) -> None:
        self.bootstrap = bootstrap
        self.source = source
        self.catalog = catalog
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"{source}-producer")
        self._producer: KafkaProducer | None = None

    def _send(self, topic: str, key: bytes, value: bytes, headers: cloudevents.Headers) -> Any:
        if self._producer is None:
            self._producer = reliable_producer(self.bootstrap, f"tongban-{self.source}")
        return self._producer.send(topic, key=key, value=value, headers=headers)

    async def publish(
        self, event: Message, key: str | None = None, event_id: str | None = None, wait: bool = False
    ) -> str:
        """Sends one event (key from the topic catalog unless given); returns its ce_id.
        With wait=True it returns only once the broker acknowledged it."""
        topic = self.catalog.topic_for_event(event.DESCRIPTOR.full_name)
        if key is None:
            key = str(getattr(event, topic.key))
        event_id = event_id or cloudevents.new_event_id()
        raw_key, value, headers = cloudevents.encode(event, source=self.source, key=key, event_id=event_id)
        loop = asyncio.get_running_loop()
        future = await loop.run_in_executor(self._executor, self._send, topic.name, raw_key, value, headers)
        if wait:
            await loop.run_in_executor(None, future.get, 15)
        return event_id

    async def close(self) -> None:
        def close() -> None:
            if self._producer is not None:
                self._producer.flush(timeout=10)
                self._producer.close(timeout=5)
                self._producer = None

        await asyncio.get_running_loop().run_in_executor(self._executor, close)
        self._executor.shutdown(wait=True)
