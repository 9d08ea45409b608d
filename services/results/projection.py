"""The case timeline projection: every event of every domain topic, written exactly once.

kafka-python polls on its own thread; each batch is written in ONE PostgreSQL transaction
together with the consumer offsets it covers (table consumer_offsets), so a crash anywhere
neither loses nor doubles an event: on restart the consumer seeks to the stored offsets, and
`ON CONFLICT (event_id) DO NOTHING` absorbs a record delivered twice. Only events inserted
now drive the case status machine, so a duplicate never moves a case twice.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from prometheus_client import Counter

from services.results import status as status_machine
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


# ---------------------------------------------------------------- what events set on a case

TIME_COLUMNS = {
    "ApplicationCreated": "created_at",
    "ApplicationSubmitted": "submitted_at",
    "CaseQueued": "queued_at",
    "CaseAssigned": "assigned_at",
    "WindowConnected": "connected_at",
    "DecisionRecorded": "decided_at",
    "CaseClosed": "closed_at",
}


def case_fields(envelope: Envelope) -> dict[str, Any]:
    """The columns of the case row an event sets (besides status)."""
    event: Any = envelope.event
    kind = envelope.short_type
    fields: dict[str, Any] = {}
    column = TIME_COLUMNS.get(kind)
    if column:
        fields[column] = envelope.time
    if kind == "ApplicationCreated":
        fields.update(
            hall_id=event.hall_id,
            hall_province=event.hall_province,
            target_province=event.target_province,
            matter_code=event.matter_code,
            department=event.department,
            applicant_name=event.applicant.name,
            applicant_id=event.applicant.id_number,
            applicant_phone=event.applicant.phone,
            pseudonym=event.applicant.pseudonym,
        )
    elif kind == "ApplicationSubmitted":
        fields.update(
            time_limit_days=event.time_limit_working_days,
            target_province=event.target_province,
            hall_province=event.hall_province,
            matter_code=event.matter_code,
            hall_id=event.hall_id,
        )
    elif kind == "CaseAssigned":
        fields["official_id"] = event.official_id
    elif kind == "DecisionRecorded":
        fields["outcome"] = int(event.outcome)
        if event.certificate_number:
            fields["certificate_number"] = event.certificate_number
    elif kind == "ResultIssued":
        fields["delivery_method"] = int(event.method)
        if event.certificate_number:
            fields["certificate_number"] = event.certificate_number
    elif kind == "ResultDelivered":
        fields["delivery_reference"] = event.reference
    elif kind == "EvaluationSubmitted":
        fields["evaluation_level"] = event.level
    # proto3 cannot tell "empty" from "not sent": an empty value never erases a known one
    return {name: value for name, value in fields.items() if value not in ("", 0, None)}


def outcome_name(envelope: Envelope) -> str | None:
    if envelope.short_type != "DecisionRecorded":
        return None
    return status_machine.outcome_word(envelope.event.outcome)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the database side


class TimelineWriter:
    def __init__(self, pool: asyncpg.Pool, consumer_name: str) -> None:
        self.pool = pool
        self.consumer_name = consumer_name

    async def offsets(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer = $1",
                self.consumer_name,
            )
        wanted = set(partitions)
        return {
            (r["topic"], r["partition"]): r["next_offset"]
            for r in rows
            if (r["topic"], r["partition"]) in wanted
        }

    async def write(self, items: Sequence[Item], next_offsets: dict[tuple[str, int], int]) -> int:
        """Writes a batch and its offsets in one transaction; returns how many were new."""
        async with self.pool.acquire() as conn, conn.transaction():
            inserted: set[str] = set()
            if items:
                rows = await conn.fetch(
                    "INSERT INTO timeline (event_id, case_id, type, source, time, topic, partition,"
                    ' "offset", data) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[],'
                    " $4::text[], $5::timestamptz[], $6::text[], $7::int[], $8::bigint[],"
                    " $9::jsonb[]) ON CONFLICT (event_id) DO NOTHING RETURNING event_id::text",
                    [i.envelope.id for i in items],
                    [i.envelope.case_id for i in items],
                    [i.envelope.type for i in items],
                    [i.envelope.source for i in items],
                    [i.envelope.time for i in items],
                    [i.topic for i in items],
                    [i.partition for i in items],
                    [i.offset for i in items],
                    [i.envelope.to_json() for i in items],
                )
                inserted = {r["event_id"] for r in rows}
                fresh = [i for i in items if i.envelope.id in inserted and i.envelope.case_id]
                await self._advance_cases(conn, fresh)
            await conn.executemany(
                "INSERT INTO consumer_offsets (consumer, topic, partition, next_offset)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (consumer, topic, partition)"
                " DO UPDATE SET next_offset = excluded.next_offset",
                [(self.consumer_name, t, p, o) for (t, p), o in next_offsets.items()],
            )
        PROJECTED.inc(len(inserted))
        DUPLICATES.inc(len(items) - len(inserted))
        return len(inserted)

    async def _advance_cases(self, conn: asyncpg.Connection, items: Sequence[Item]) -> None:
        if not items:
            return
        case_ids = sorted({i.envelope.case_id for i in items})
        rows = await conn.fetch(
            "SELECT case_id, status FROM cases WHERE case_id = ANY($1::text[]) FOR UPDATE", case_ids
        )
        statuses: dict[str, str] = {r["case_id"]: r["status"] for r in rows}
        changes: dict[str, dict[str, Any]] = {}
        anomalies: list[tuple[str, str, str]] = []
        for item in sorted(items, key=lambda i: (i.envelope.time, i.offset)):
            envelope = item.envelope
            case_id = envelope.case_id
            current = statuses.get(case_id, status_machine.INITIAL)
            if envelope.short_type == "MaterialUploaded" and current == "SUPPLEMENT_REQUESTED":
                # 补正 materials arrived: the statutory clock runs again from this day
                await conn.execute(
                    "UPDATE pauses SET ended_on = $2 WHERE case_id = $1 AND ended_on IS NULL",
                    case_id,
                    envelope.time.date(),
                )
            transition = status_machine.apply(current, envelope.short_type, outcome_name(envelope))
            if transition.anomaly:
                anomalies.append((case_id, envelope.id, transition.anomaly))
            statuses[case_id] = transition.new_status
            change = changes.setdefault(case_id, {})
            change.update(case_fields(envelope))
            change["status"] = transition.new_status
        for case_id, change in changes.items():
            names = list(change)
            columns = ", ".join(names)
            params = ", ".join(f"${i + 2}" for i in range(len(names)))
            updates = ", ".join(f"{n} = excluded.{n}" for n in names)
            await conn.execute(
                f"INSERT INTO cases (case_id, {columns}) VALUES ($1, {params})"
                f" ON CONFLICT (case_id) DO UPDATE SET {updates}, updated_at = now()",
                case_id,
                *change.values(),
            )
        if anomalies:
            await conn.executemany(
                "INSERT INTO anomalies (case_id, event_id, description) VALUES ($1, $2, $3)", anomalies
            )


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
