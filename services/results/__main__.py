"""Runs the results service: `python -m services.results` (settings from TONGBAN_*)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import asyncpg

from services.results import events
from services.results.api import ResultsApi
from services.results.calendar import default_calendar
from services.results.config import ResultsSettings
from services.results.deadline_watch import DeadlineWatch
from services.results.store import ResultsStore
from services.shared import logs, migrations, pii, topics
from services.shared.catalog import load_catalog
from services.shared.grpcserver import Service
from services.shared.outbox import OutboxRelay
from services.shared.settings import load_or_exit
from tongban.results.v1 import results_pb2, results_pb2_grpc

MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: ResultsSettings) -> None:
    catalog = settings.catalog()
    await asyncio.to_thread(topics.ensure_topics, settings.kafka_bootstrap, catalog)
    await migrations.prepare(settings.database_url, MIGRATIONS)
    pool = await asyncpg.create_pool(settings.database_url, min_size=2, max_size=settings.db_pool_size)
    store = ResultsStore(pool, catalog)
    calendar = default_calendar()
    relay = OutboxRelay(settings.database_url, settings.kafka_bootstrap, "tongban-results")
    projector = events.projector(pool, settings.kafka_bootstrap, catalog, catalog.group(events.GROUP))
    watch = DeadlineWatch(store, calendar, settings.deadline_sweep_s, settings.deadline_warn_days)
    api = ResultsApi(
        store,
        load_catalog(),
        calendar,
        base64.b64decode(settings.certificate_secret),
        pii.Keyring.parse(settings.pii_keys),
        settings.public_base_url,
    )
    service = Service("results", settings.grpc_listen, settings.metrics_listen)
    service.add(
        lambda s: results_pb2_grpc.add_ResultsServiceServicer_to_server(api, s),
        results_pb2.DESCRIPTOR.services_by_name["ResultsService"].full_name,
    )
    relay.start()
    projector.start()
    watch.start()

    async def close() -> None:
        await watch.stop()
        await projector.stop()
        await relay.stop()
        await pool.close()

    await service.run(on_stop=[close])


def main() -> None:
    settings = load_or_exit(ResultsSettings)
    logs.configure("results", settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
