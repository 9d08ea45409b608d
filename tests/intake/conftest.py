"""A real intake service per test: gRPC server, PostgreSQL database, outbox relay, and a
blob store (a local folder, or a bucket of the suite's own SeaweedFS S3 server)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.intake.blobs import LocalBlobStore
from services.intake.s3store import S3BlobStore
from tests.intake.intake_support import RunningIntake, start_intake, store_for
from tools.engines import SeaweedNode


@pytest.fixture
async def intake(fresh_database: str, kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[RunningIntake]:
    async with start_intake(fresh_database, kafka_bootstrap, LocalBlobStore(tmp_path / "blobs")) as running:
        yield running


@pytest.fixture
async def s3_store(s3_node: SeaweedNode) -> AsyncIterator[S3BlobStore]:
    """A store on a bucket of its own."""
    store = store_for(s3_node, f"t-{uuid.uuid4().hex[:12]}")
    await store.ensure_bucket()
    yield store
    await store.close()


@pytest.fixture
async def s3_intake(
    fresh_database: str, kafka_bootstrap: str, s3_node: SeaweedNode
) -> AsyncIterator[RunningIntake]:
    store = store_for(s3_node, f"t-{uuid.uuid4().hex[:12]}")
    await store.ensure_bucket()
    async with start_intake(fresh_database, kafka_bootstrap, store) as running:
        yield running
    await store.close()
