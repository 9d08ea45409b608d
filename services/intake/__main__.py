"""Runs the intake service: `python -m services.intake` (settings from TONGBAN_* variables)."""

from __future__ import annotations

import asyncio
import base64
import logging
from pathlib import Path

from services.intake import events, sigv4
from services.intake.api import IntakeApi
from services.intake.blobs import BlobStore, BlobStoreError, LocalBlobStore
from services.intake.config import IntakeSettings
from services.intake.s3store import S3BlobStore
from services.intake.store import IntakeStore, open_pool
from services.shared import logs, migrations, pii, topics
from services.shared.catalog import load_catalog
from services.shared.grpcserver import Service
from services.shared.outbox import OutboxRelay
from services.shared.settings import load_or_exit
from tongban.intake.v1 import intake_pb2, intake_pb2_grpc

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("services.intake")


def blob_store(settings: IntakeSettings) -> BlobStore:
    """The store TONGBAN_BLOB_STORE names: a local folder, or an S3-compatible bucket."""
    if settings.blob_store == "s3":
        return S3BlobStore(
            settings.s3_endpoint,
            settings.s3_bucket,
            sigv4.Credentials(settings.s3_access_key, settings.s3_secret_key, settings.s3_region),
        )
    return LocalBlobStore(settings.blob_dir)


async def prepare_blob_store(blobs: BlobStore) -> None:
    """Makes the bucket if needed. An S3 store that does not answer yet does not stop the
    service: uploads answer UNAVAILABLE until it does."""
    if isinstance(blobs, S3BlobStore):
        try:
            await blobs.ensure_bucket()
        except BlobStoreError as exc:
            log.warning(
                "blob store not ready; uploads will be refused until it is",
                extra={"store": repr(blobs), "error": str(exc)},
            )


async def serve(settings: IntakeSettings) -> None:
    catalog = settings.catalog()
    await asyncio.to_thread(topics.ensure_topics, settings.kafka_bootstrap, catalog)
    await migrations.prepare(settings.database_url, MIGRATIONS)
    pool = await open_pool(settings.database_url, settings.db_pool_size)
    relay = OutboxRelay(settings.database_url, settings.kafka_bootstrap, "tongban-intake")
    relay.start()
    blobs = blob_store(settings)
    await prepare_blob_store(blobs)
    api = IntakeApi(
        IntakeStore(pool, catalog),
        load_catalog(),
        blobs,
        pii.Keyring.parse(settings.pii_keys),
        base64.b64decode(settings.pseudonym_secret),
        concurrent_uploads=settings.concurrent_uploads,
    )
    decisions = events.consumer(settings.kafka_bootstrap, catalog, api, catalog.group(events.GROUP))
    decisions.start()
    service = Service("intake", settings.grpc_listen, settings.metrics_listen)
    service.add(
        lambda s: intake_pb2_grpc.add_IntakeServiceServicer_to_server(api, s),
        intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name,
    )

    async def close() -> None:
        await decisions.stop()
        await relay.stop()
        await pool.close()
        if isinstance(blobs, S3BlobStore):
            await blobs.close()

    await service.run(on_stop=[close])


def main() -> None:
    settings = load_or_exit(IntakeSettings)
    logs.configure("intake", settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
