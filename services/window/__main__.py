"""Runs the window service: `python -m services.window`."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

from services.shared import logs, topics
from services.shared.consumer import EventConsumer
from services.shared.grpcserver import Service
from services.shared.publisher import EventPublisher
from services.shared.settings import load_or_exit
from services.window.api import WindowService
from services.window.config import WindowSettings
from services.window.ice import ice_configuration, screen_remote_candidates, use_loopback_ice
from services.window.media import WindowMedia
from tongban.window.v1 import window_pb2, window_pb2_grpc


async def serve(settings: WindowSettings) -> None:
    catalog = settings.catalog()
    await asyncio.to_thread(topics.ensure_topics, settings.kafka_bootstrap, catalog)
    if settings.loopback_ice:
        use_loopback_ice()
    # outside dev (no loopback ICE) media is relay-only through TURN; a party's candidates
    # at internal addresses never become checks (services/window/ice.py)
    relay_only = not settings.loopback_ice
    screen_remote_candidates(relay_only=relay_only, allow_loopback=settings.loopback_ice)
    publisher = EventPublisher(settings.kafka_bootstrap, "window", catalog)
    secret = base64.b64decode(settings.join_secret) if settings.join_secret else os.urandom(32)
    media = WindowMedia(
        Path(settings.recordings_dir),
        ice_configuration(settings.ice_servers, settings.turn_secret, relay_only=relay_only),
        grace_s=settings.grace_s,
        stats_interval_s=settings.stats_interval_s,
    )
    api = WindowService(media, publisher, secret, settings.join_token_ttl_s, settings.intake_addr)
    consumer = EventConsumer(
        settings.kafka_bootstrap,
        [catalog.name(topics.ROUTING)],
        catalog.group("tongban-window"),
        api.on_assigned,
        "window",
        types={"CaseAssigned"},
        from_latest=True,
    )
    if settings.open_on_assignment:
        consumer.start()
    service = Service("window", settings.grpc_listen, settings.metrics_listen)
    service.add(
        lambda s: window_pb2_grpc.add_WindowServiceServicer_to_server(api, s),
        window_pb2.DESCRIPTOR.services_by_name["WindowService"].full_name,
    )

    async def close() -> None:
        await consumer.stop()
        await media.shutdown()
        await publisher.close()

    await service.run(on_stop=[close])


def main() -> None:
    settings = load_or_exit(WindowSettings)
    logs.configure("window", settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
