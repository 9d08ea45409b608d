"""Transactional outbox: an event is written in the same transaction as the business change,
then a relay publishes it to Kafka with retries, so a change is never half-announced.

- `enqueue()` inserts the event row inside the caller's asyncpg transaction; a statement
  trigger NOTIFYs the relay (delivered only on commit, so it never sees uncommitted rows).
- `OutboxRelay` runs as an asyncio task: it reads unsent rows in id order, hands them to a
  kafka-python idempotent producer on its own thread (acks=all), and marks rows sent.
  Failed rows get a backoff and are swept again later. Per-key order: for each key only the
  prefix of rows before the first failure is marked sent; the rest are retried in order.
  A PostgreSQL advisory lock keeps one active relay per database, so two replicas of a
  service cannot reorder a key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from google.protobuf.message import Message
from kafka import KafkaProducer
from prometheus_client import Counter, Gauge

from services.shared import cloudevents
from services.shared.kafka import reliable_producer
from services.shared.topics import Catalog

log = logging.getLogger(__name__)
CHANNEL = "tongban_outbox"
ADVISORY_LOCK = 0x70B0  # one relay per database

# The table lives in each service's own database; migrations include this file's DDL.
DDL = """
CREATE TABLE IF NOT EXISTS outbox (
    id              bigserial PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    topic           text        NOT NULL,
    key             text        NOT NULL,
    type            text        NOT NULL,
    source          text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    payload         bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
-- Wake the relay once per statement (delivered at commit) without a round trip per event.
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tongban_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
"""

PUBLISHED = Counter("tongban_outbox_published_total", "Outbox rows published", ["topic"])
FAILED = Counter("tongban_outbox_failed_total", "Outbox publish attempts that failed")
PENDING = Gauge("tongban_outbox_pending", "Outbox rows not yet published")


def event_row(
    catalog: Catalog,
    event: Message,
    *,
    source: str,
    key: str | None = None,
    event_id: str | None = None,
    at: datetime | None = None,
) -> tuple[str, str, str, str, str, datetime, bytes]:
    """The outbox columns of one event (see `insert_sql`), in that order."""
    topic = catalog.topic_for_event(event.DESCRIPTOR.full_name)
    if key is None:
        key = str(getattr(event, topic.key))
    return (
        event_id or cloudevents.new_event_id(),
        topic.name,
        key,
        event.DESCRIPTOR.full_name,
        source,
        at or cloudevents.now(),
        event.SerializeToString(),
    )


def insert_sql(first: int, only_if_rows_in: str | None = None) -> str:
    """An INSERT of one `event_row` whose parameters start at $first: a caller may put it in
    a CTE beside its own change, so the change and its event are one statement, one round
    trip (the statement is atomic, like a transaction). With `only_if_rows_in` (a CTE's
    name) the event is written only if that CTE returned a row."""
    types = ("uuid", "text", "text", "text", "text", "timestamptz", "bytea")
    values = ", ".join(f"${first + i}::{t}" for i, t in enumerate(types))
    source = f"SELECT {values} FROM {only_if_rows_in}" if only_if_rows_in else f"VALUES ({values})"
    return f"INSERT INTO outbox (event_id, topic, key, type, source, occurred_at, payload) {source}"


async def enqueue(
    conn: asyncpg.Connection,
    catalog: Catalog,
    event: Message,
    *,
    source: str,
    key: str | None = None,
    event_id: str | None = None,
    at: datetime | None = None,
) -> str:
    """Writes one event in the caller's transaction; returns its ce_id. A trigger NOTIFYs the
    relay, and PostgreSQL delivers that only at commit."""
    row = event_row(catalog, event, source=source, key=key, event_id=event_id, at=at)
    await conn.execute(insert_sql(1), *row)
    return row[0]


@dataclass(frozen=True)
class Row:
    id: int
    event_id: str
    topic: str
    key: str
    type: str
    source: str
    occurred_at: datetime
    payload: bytes
    attempts: int


def backoff_seconds(attempts: int) -> float:
    """0.5 s, 1 s, 2 s … capped at 30 s: a broker outage is swept at a steady pace."""
    return float(min(30.0, 0.5 * 2 ** max(0, attempts - 1)))


def sendable_prefix(rows: Sequence[Row], ok: Sequence[bool]) -> tuple[list[int], list[int]]:
    """Splits a batch into rows to mark sent and rows to retry, keeping per-key order:
    once a key has a failure, its later rows are retried even if they went through."""
    failed_keys: set[str] = set()
    sent: list[int] = []
    retry: list[int] = []
    for row, good in zip(rows, ok, strict=True):
        if good and row.key not in failed_keys:
            sent.append(row.id)
        else:
            failed_keys.add(row.key)
            retry.append(row.id)
    return sent, retry


class OutboxRelay:
    def __init__(
        self,
        dsn: str,
        bootstrap: str,
        client_id: str,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
    ) -> None:
        self.dsn = dsn
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="outbox-producer")
        self._producer: KafkaProducer | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task:
            await self._task
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close_producer)
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._lead()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("outbox relay lost its database; retrying", extra={"error": str(exc)})
                await self._sleep(1.0)

    async def _lead(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self.dsn)
        try:
            while not self._stopping and not await conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", ADVISORY_LOCK
            ):
                await self._sleep(self.poll_interval_s)  # another replica relays
            await conn.add_listener(CHANNEL, self._notified)
            while not self._stopping:
                busy = await self.relay_once(conn)
                if not busy:
                    await self._sleep(self.poll_interval_s)
        finally:
            await conn.close()

    def _notified(self, *_: Any) -> None:
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    # ---------------------------------------------------------------- one sweep

    async def relay_once(self, conn: asyncpg.Connection) -> bool:
        """Publishes one batch; True when it published something (more may be waiting).
        Two round trips when all goes well: read the batch, mark it sent."""
        records = await conn.fetch(
            "SELECT id, event_id::text, topic, key, type, source, occurred_at, payload, attempts,"
            " next_attempt_at <= now() AS due"
            " FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
            self.batch_size,
        )
        if not records:
            PENDING.set(0)
            return False
        # Keys whose oldest unsent row is backing off wait whole, so their order holds.
        blocked: set[str] = set()
        batch: list[Row] = []
        for record in records:
            values = dict(record)
            due = values.pop("due")
            row = Row(**values)
            if row.key in blocked:
                continue
            if not due:
                blocked.add(row.key)
                continue
            batch.append(row)
        if not batch:
            return False
        loop = asyncio.get_running_loop()
        ok, error = await loop.run_in_executor(self._executor, self._publish, batch)
        sent, retry = sendable_prefix(batch, ok)
        if not retry:  # the usual case: one statement, atomic on its own
            await conn.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", sent)
        else:
            async with conn.transaction():
                if sent:
                    await conn.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", sent)
                for row in batch:
                    if row.id in retry:
                        delay = backoff_seconds(row.attempts + 1)
                        await conn.execute(
                            "UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
                            " next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                            row.id,
                            error or "not acknowledged",
                            delay,
                        )
        for row in batch:
            if row.id in sent:
                PUBLISHED.labels(row.topic).inc()
        if retry:
            FAILED.inc(len(retry))
            log.warning(
                "outbox publish failed; will retry",
                extra={"failed": len(retry), "sent": len(sent), "error": error},
            )
        return bool(sent)

    # ---------------------------------------------------------------- producer thread

    def _publish(self, rows: Sequence[Row]) -> tuple[list[bool], str | None]:
        try:
            producer = self._producer or reliable_producer(self.bootstrap, self.client_id)
            self._producer = producer
        except Exception as exc:  # no broker yet: everything waits for the next sweep
            return [False] * len(rows), f"{type(exc).__name__}: {exc}"
        futures: list[Any] = []
        for row in rows:
            headers = cloudevents.make_headers(row.type, row.source, row.event_id, row.occurred_at)
            try:
                futures.append(
                    producer.send(row.topic, key=row.key.encode(), value=row.payload, headers=headers)
                )
            except Exception as exc:
                # send() blocks up to max_block_ms when the broker is away: do not pay that
                # for every row; the rest of the batch waits for the next sweep.
                futures += [exc] * (len(rows) - len(futures))
                break
        try:
            producer.flush(timeout=30)
        except Exception:  # unresolved futures below count as failures
            log.debug("flush did not complete", exc_info=True)
        ok: list[bool] = []
        error: str | None = None
        for future in futures:
            if isinstance(future, Exception):
                ok.append(False)
                error = error or f"{type(future).__name__}: {future}"
                continue
            try:
                future.get(timeout=0)
                ok.append(True)
            except Exception as exc:
                ok.append(False)
                error = error or f"{type(exc).__name__}: {exc}"
        if error:
            # A producer that lost a batch may hold stale sequence state: start afresh.
            self._close_producer()
        return ok, error

    def _close_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=5)
            except Exception:  # closing a broken producer may itself fail; it is gone anyway
                log.debug("producer close failed", exc_info=True)
            self._producer = None
