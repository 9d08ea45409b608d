"""The case timeline projection: every event of every domain topic, written exactly once.

kafka-python polls on its own thread; each batch is written in ONE PostgreSQL transaction
together with the consumer offsets it covers (table consumer_offsets), so a crash anywhere
neither loses nor doubles an event: on restart the consumer seeks to the stored offsets, and
`ON CONFLICT (event_id) DO NOTHING` absorbs a record delivered twice. Each case a batch adds
events to is folded again from all its stored events in their own order (casefold.py), so
its row does not depend on how the topics interleaved when they were read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from prometheus_client import Counter

from services.results import casefold, store
from services.results.casefold import CaseState, Fact
from services.shared import cloudevents
from services.shared.cloudevents import Envelope, PoisonRecord
from services.shared.kafka import consumer as make_consumer
from services.shared.kafka import reliable_producer, send_to_dead_letter

log = logging.getLogger(__name__)
CONSUMER = "results-projection"  # the live projection's name in consumer_offsets
PROJECTED = Counter("tongban_results_projected_total", "Events written to the timeline")
DUPLICATES = Counter("tongban_results_duplicates_total", "Events already in the timeline")


@dataclass(frozen=True)
class Item:
    """One decoded record with where it came from."""

    envelope: Envelope
    topic: str
    partition: int
    offset: int


# ---------------------------------------------------------------- the database side


class TimelineWriter:
    """Writes batches of events and refolds the cases they touch (casefold.py)."""

    def __init__(self, pool: asyncpg.Pool, consumer_name: str) -> None:
        self.pool = pool
        self.consumer_name = consumer_name

    async def offsets(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
        stored = await store.stored_offsets(self.pool, self.consumer_name)
        wanted = set(partitions)
        return {p: o for p, o in stored.items() if p in wanted}

    async def write(self, items: Sequence[Item], next_offsets: dict[tuple[str, int], int]) -> int:
        """Writes a batch and its offsets in one transaction; returns how many were new."""
        rows = [timeline_row(i) for i in items]
        async with self.pool.acquire() as conn, conn.transaction():
            inserted = await store.insert_events(conn, rows)
            unfolded = set(inserted)  # a record twice in one batch is stored, and folded, once
            fresh: dict[str, list[Fact]] = {}
            for item, row in zip(items, rows, strict=True):
                e = item.envelope
                if e.id in unfolded and e.case_id and e.short_type not in casefold.SKIPPED:
                    unfolded.discard(e.id)
                    data = json.loads(row[8])
                    fact = Fact(e.id, e.short_type, e.time, item.topic, item.partition, item.offset, data)
                    fresh.setdefault(e.case_id, []).append(fact)
            if fresh:
                await self._fold(conn, fresh)
            await store.save_offsets(conn, self.consumer_name, next_offsets)
        PROJECTED.inc(len(inserted))
        DUPLICATES.inc(len(items) - len(inserted))
        return len(inserted)

    async def _fold(self, conn: asyncpg.Connection, fresh: dict[str, list[Fact]]) -> None:
        """Only newly stored events lead here, so a duplicate never moves a case. A case
        whose new events all come after those already folded into its row goes on from the
        row; any other is folded again from all its stored events, so the order the events
        were read in never shows."""
        rows = await store.case_states(conn, sorted(fresh))
        states: dict[str, CaseState] = {}
        refold: list[str] = []
        for case_id, facts in fresh.items():
            row = rows.get(case_id)
            if row is not None and row.continues_with(facts):
                states[case_id] = casefold.fold(facts, row)
            else:
                refold.append(case_id)
        if refold:
            history = await store.all_facts(conn, refold)
            states.update({case_id: casefold.fold(history[case_id]) for case_id in refold})
        await store.save_cases(conn, states)
        await store.save_anomalies(conn, states, refold)
        await store.end_pauses(
            conn, {c: s.supplied_on for c, s in states.items() if s.supplied_on is not None}
        )


def timeline_row(item: Item) -> store.TimelineRow:
    e = item.envelope
    return (e.id, e.case_id, e.type, e.source, e.time, item.topic, item.partition, item.offset, e.to_json())


# ---------------------------------------------------------------- the Kafka side


class Projector:
    """Consumes the domain topics into the timeline; `start()` on the loop, `stop()` to end."""

    def __init__(
        self,
        writer: TimelineWriter,
        bootstrap: str,
        topics: Sequence[str],
        group_id: str = "tongban-results-projection",
        max_batch: int = 2000,
        park_poison: bool = True,
    ) -> None:
        self.writer = writer
        self.bootstrap = bootstrap
        self.topics = list(topics)
        self.group_id = group_id
        self.max_batch = max_batch
        # a rebuild (cli/replay.py) reads records the live projection parked already:
        # it counts them instead of dead-lettering them twice
        self.park_poison = park_poison
        self.poison = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.caught_up = asyncio.Event()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="projector", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._thread:
            await asyncio.to_thread(self._thread.join, 30)

    def _on_loop(self, coroutine: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _run(self) -> None:
        consumer: KafkaConsumer = make_consumer(
            self.bootstrap,
            self.group_id,
            "tongban-results-projection",
            max_poll_records=self.max_batch,
            fetch_max_bytes=50 * 2**20,
        )
        dead_letters: KafkaProducer | None = None
        projector = self

        class SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
            def on_partitions_revoked(self, revoked: Any) -> None:
                pass  # offsets live in PostgreSQL with the rows: nothing to flush

            def on_partitions_assigned(self, assigned: Any) -> None:
                stored = projector._on_loop(
                    projector.writer.offsets([(tp.topic, tp.partition) for tp in assigned])
                )
                for tp in assigned:
                    if (tp.topic, tp.partition) in stored:
                        consumer.seek(tp, stored[(tp.topic, tp.partition)])
                    else:
                        consumer.seek_to_beginning(tp)

        try:
            consumer.subscribe(self.topics, listener=SeekToStored())
            while not self._stop.is_set():
                batch = consumer.poll(timeout_ms=200, max_records=self.max_batch)
                if not batch:
                    if consumer.assignment() and self._loop:
                        self._loop.call_soon_threadsafe(self.caught_up.set)
                    continue
                items: list[Item] = []
                next_offsets: dict[tuple[str, int], int] = {}
                for tp, records in batch.items():
                    for record in records:
                        try:
                            envelope = cloudevents.decode(record.key, record.value, record.headers)
                            items.append(Item(envelope, tp.topic, tp.partition, record.offset))
                        except PoisonRecord as poison:
                            self.poison += 1
                            if not self.park_poison:
                                next_offsets[(tp.topic, tp.partition)] = record.offset + 1
                                continue
                            dead_letters = dead_letters or reliable_producer(self.bootstrap, "results-dlq")
                            send_to_dead_letter(dead_letters, record, poison.reason, self.group_id)
                        next_offsets[(tp.topic, tp.partition)] = record.offset + 1
                self._on_loop(self.writer.write(items, next_offsets))
        except Exception:
            log.exception("projection stopped on an error")
            raise
        finally:
            consumer.close(autocommit=False)
            if dead_letters is not None:
                dead_letters.close(timeout=5)
