"""Runs a routing worker: `python -m services.routing` — the faust agents and the gRPC front
in one process and one event loop."""

from __future__ import annotations

from typing import Any

from faust.worker import Worker

from services.routing.api import RoutingApi
from services.routing.config import RoutingSettings
from services.routing.worker import RoutingWorker
from services.shared import logs, topics
from services.shared.grpcserver import Service
from services.shared.settings import load_or_exit
from tongban.routing.v1 import routing_pb2, routing_pb2_grpc


def build(settings: RoutingSettings) -> RoutingWorker:
    worker = RoutingWorker(settings)
    api = RoutingApi(worker.ask)
    running: list[Service] = []

    @worker.app.task  # type: ignore[untyped-decorator]
    async def serve_grpc() -> None:
        # grpc.aio binds to the loop it is created on: make it on faust's, once it runs
        service = Service("routing", settings.grpc_listen, settings.metrics_listen)
        service.add(
            lambda s: routing_pb2_grpc.add_RoutingServiceServicer_to_server(api, s),
            routing_pb2.DESCRIPTOR.services_by_name["RoutingService"].full_name,
        )
        await service.start()
        running.append(service)

    async def stop_grpc(app: Any, **_: Any) -> None:
        for service in running:
            await service.stop(grace=2.0)

    worker.app.on_before_shutdown.connect(stop_grpc)  # type: ignore[arg-type]
    return worker


def main() -> None:
    settings = load_or_exit(RoutingSettings)
    logs.configure("routing", settings.log_level)
    # faust declares its own topics; the shared catalog's must exist before agents start
    topics.ensure_topics(settings.kafka_bootstrap, settings.catalog())
    worker = build(settings)
    Worker(
        worker.app, loglevel=settings.log_level.lower().replace("warning", "warn"), quiet=True
    ).execute_from_commandline()


if __name__ == "__main__":
    main()
