"""A real intake service per test module: gRPC server, PostgreSQL database, outbox relay."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import grpc
import pytest
from intake_support import RunningIntake

from services.intake.__main__ import MIGRATIONS
from services.intake.api import IntakeApi
from services.intake.blobs import LocalBlobStore
from services.intake.store import IntakeStore
from services.shared import migrations, pii, topics
from services.shared.catalog import load_catalog
from services.shared.grpcserver import Service
from services.shared.outbox import OutboxRelay
from tongban.intake.v1 import intake_pb2_grpc
from tools.engines import free_port


@pytest.fixture
async def intake(fresh_database: str, kafka_bootstrap: str, tmp_path: Path
                 ) -> AsyncIterator[RunningIntake]:
    catalog = topics.load()
    topics.ensure_topics(kafka_bootstrap, catalog)
    await migrations.prepare(fresh_database, MIGRATIONS)
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=10)
    relay = OutboxRelay(fresh_database, kafka_bootstrap, "test-intake", poll_interval_s=0.2)
    relay.start()
    keyring = pii.Keyring.parse(f"t1:{pii.generate_key()}")
    api = IntakeApi(IntakeStore(pool, catalog), load_catalog(), LocalBlobStore(tmp_path / "blobs"),
                    keyring, os.urandom(32))
    port = free_port()
    service = Service("intake", f"127.0.0.1:{port}")
    service.add(lambda s: intake_pb2_grpc.add_IntakeServiceServicer_to_server(api, s),
                "tongban.intake.v1.IntakeService")
    await service.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield RunningIntake(intake_pb2_grpc.IntakeServiceStub(channel), fresh_database, keyring, pool)
    finally:
        await channel.close()
        await service.stop(grace=0.5)
        await relay.stop()
        await pool.close()
