"""Helpers of the intake tests."""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import grpc

from services.intake import sigv4
from services.intake.__main__ import MIGRATIONS, decisions_consumer
from services.intake.api import IntakeApi
from services.intake.blobs import BlobStore
from services.intake.s3store import S3BlobStore
from services.intake.store import IntakeStore, open_pool
from services.shared import migrations, pii, topics
from services.shared.catalog import load_catalog
from services.shared.grpcserver import Service
from services.shared.outbox import OutboxRelay
from tongban.intake.v1 import intake_pb2, intake_pb2_grpc
from tools.engines import SeaweedNode, free_port


@dataclass
class RunningIntake:
    stub: intake_pb2_grpc.IntakeServiceStub
    database_url: str
    keyring: pii.Keyring
    pool: asyncpg.Pool
    blobs: BlobStore


@contextlib.asynccontextmanager
async def start_intake(database: str, kafka_bootstrap: str, blobs: BlobStore) -> AsyncIterator[RunningIntake]:
    """The intake service on a free port, wired like `python -m services.intake`."""
    catalog = topics.load()
    topics.ensure_topics(kafka_bootstrap, catalog)
    await migrations.prepare(database, MIGRATIONS)
    pool = await open_pool(database, 10)
    relay = OutboxRelay(database, kafka_bootstrap, "test-intake", poll_interval_s=0.2)
    relay.start()
    keyring = pii.Keyring.parse(f"t1:{pii.generate_key()}")
    api = IntakeApi(IntakeStore(pool, catalog), load_catalog(), blobs, keyring, os.urandom(32))
    decisions = decisions_consumer(kafka_bootstrap, api, catalog, group=f"test-intake-{os.urandom(4).hex()}")
    decisions.start()
    port = free_port()
    service = Service("intake", f"127.0.0.1:{port}")
    service.add(
        lambda s: intake_pb2_grpc.add_IntakeServiceServicer_to_server(api, s),
        "tongban.intake.v1.IntakeService",
    )
    await service.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield RunningIntake(intake_pb2_grpc.IntakeServiceStub(channel), database, keyring, pool, blobs)
    finally:
        await channel.close()
        await service.stop(grace=0.5)
        await decisions.stop()
        await relay.stop()
        await pool.close()


def store_for(node: SeaweedNode, bucket: str, secret_key: str | None = None) -> S3BlobStore:
    """An S3 store on the node's bucket, signing with its identity (or a wrong secret)."""
    return S3BlobStore(
        node.endpoint,
        bucket,
        sigv4.Credentials(node.access_key, node.secret_key if secret_key is None else secret_key),
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(2048)
PDF = b"%PDF-1.7\n" + base64.b64encode(os.urandom(1024))


def upload_chunks(
    case_id: str, code: str, data: bytes, source: str = "upload", chunk: int = 1000
) -> list[intake_pb2.UploadMaterialRequest]:
    first = intake_pb2.UploadMaterialRequest(
        header=intake_pb2.UploadHeader(
            case_id=case_id, material_code=code, file_name="scan.jpg", source=source
        ),
        data=data[:chunk],
    )
    rest = [
        intake_pb2.UploadMaterialRequest(data=data[i : i + chunk]) for i in range(chunk, len(data), chunk)
    ]
    return [first, *rest]
