"""A real results service for tests: gRPC server, projection, outbox relay, its own database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import grpc
import pytest

from services.results.__main__ import MIGRATIONS
from services.results.api import ResultsApi
from services.results.calendar import default_calendar
from services.results.projection import Projector, TimelineWriter
from services.results.store import ResultsStore
from services.shared import migrations, pii, topics
from services.shared.catalog import load_catalog
from services.shared.grpcserver import Service
from services.shared.outbox import OutboxRelay
from tests.results.results_support import RunningResults, start_at_the_end
from tongban.results.v1 import results_pb2_grpc
from tools.engines import free_port

SECRET = os.urandom(32)


@pytest.fixture
async def results(fresh_database: str, kafka_bootstrap: str) -> AsyncIterator[RunningResults]:
    catalog = topics.load()
    topics.ensure_topics(kafka_bootstrap, catalog)
    await migrations.prepare(fresh_database, MIGRATIONS)
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=10)
    await start_at_the_end(pool, kafka_bootstrap, catalog.event_topics())
    store = ResultsStore(pool, catalog)
    relay = OutboxRelay(fresh_database, kafka_bootstrap, "test-results", poll_interval_s=0.2)
    projector = Projector(
        TimelineWriter(pool, "results-projection"),
        kafka_bootstrap,
        catalog.event_topics(),
        group_id=f"test-results-{uuid.uuid4().hex[:6]}",
    )
    api = ResultsApi(
        store,
        load_catalog(),
        default_calendar(),
        SECRET,
        pii.Keyring.parse(f"t:{pii.generate_key()}"),
        "http://127.0.0.1:8080",
    )
    port = free_port()
    service = Service("results", f"127.0.0.1:{port}")
    service.add(
        lambda s: results_pb2_grpc.add_ResultsServiceServicer_to_server(api, s),
        "tongban.results.v1.ResultsService",
    )
    await service.start()
    relay.start()
    projector.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield RunningResults(
            results_pb2_grpc.ResultsServiceStub(channel), f"127.0.0.1:{port}", pool, store, kafka_bootstrap
        )
    finally:
        await channel.close()
        await service.stop(grace=0.5)
        await projector.stop()
        await relay.stop()
        await pool.close()


def now() -> datetime:
    return datetime.now(UTC)
