"""One grpc.aio channel per service, created once, and a call helper that turns a failed
call into the HTTP error the browser should see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from gateway.config import GatewaySettings
from gateway.errors import from_rpc
from tongban.intake.v1 import intake_pb2_grpc
from tongban.results.v1 import results_pb2_grpc
from tongban.routing.v1 import routing_pb2_grpc
from tongban.window.v1 import window_pb2_grpc

T = TypeVar("T")
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 32 * 1024 * 1024),  # materials and certificates
    ("grpc.keepalive_time_ms", 30_000),
]


class Services:
    def __init__(self, settings: GatewaySettings) -> None:
        self.timeout = settings.grpc_timeout_s
        self._channels = {
            name: grpc.aio.insecure_channel(settings.address_of(name), options=CHANNEL_OPTIONS)
            for name in ("intake", "routing", "window", "results")
        }
        self.intake = intake_pb2_grpc.IntakeServiceStub(self._channels["intake"])
        self.routing = routing_pb2_grpc.RoutingServiceStub(self._channels["routing"])
        self.window = window_pb2_grpc.WindowServiceStub(self._channels["window"])
        self.results = results_pb2_grpc.ResultsServiceStub(self._channels["results"])

    def channel(self, name: str) -> grpc.aio.Channel:
        return self._channels[name]

    async def call(self, service: str, method: str, request: Any, timeout: float | None = None) -> Any:
        """`await services.call("intake", "GetApplication", request)`; ApiError on failure."""
        stub = getattr(self, service)
        rpc: Callable[..., Awaitable[Any]] = getattr(stub, method)
        try:
            return await rpc(request, timeout=timeout or self.timeout)
        except grpc.RpcError as error:
            raise from_rpc(error, service) from None

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
