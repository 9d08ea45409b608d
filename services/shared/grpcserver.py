"""gRPC server bootstrap shared by every service: grpc.aio with grpc.health.v1, reflection,
Prometheus metrics, and a graceful stop on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import Counter, Histogram, start_http_server

from services.shared.settings import split_host_port

log = logging.getLogger(__name__)

# Generic only in the type stubs: quoted so nothing subscripts them at run time.
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"

REQUESTS = Counter("tongban_grpc_requests_total", "gRPC requests", ["method", "code"])
LATENCY = Histogram(
    "tongban_grpc_latency_seconds",
    "gRPC handling time",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts and times unary calls by method and status code."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = details.method
        inner = handler.unary_unary

        async def timed(request: Any, context: Context) -> Any:
            started = time.perf_counter()
            code = "OK"
            try:
                return await inner(request, context)  # type: ignore[arg-type]
            except Exception:
                code = "ERROR"
                raise
            finally:
                if context.code() not in (None, grpc.StatusCode.OK):
                    code = context.code().name
                REQUESTS.labels(method, code).inc()
                LATENCY.labels(method).observe(time.perf_counter() - started)

        return grpc.unary_unary_rpc_method_handler(
            timed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


Registrar = Callable[[grpc.aio.Server], None]


class Service:
    """One gRPC server with health and reflection; `run()` serves until SIGTERM."""

    def __init__(self, name: str, listen: str, metrics_listen: str | None = None) -> None:
        self.name = name
        self.listen = listen
        self.metrics_listen = metrics_listen
        self.server = grpc.aio.server(
            interceptors=[MetricsInterceptor()],
            options=[("grpc.max_receive_message_length", 8 * 1024 * 1024)],
        )
        self.health = health.aio.HealthServicer()
        self._names: list[str] = [health.SERVICE_NAME, reflection.SERVICE_NAME]
        self.port = 0

    def add(self, registrar: Registrar, full_name: str) -> None:
        """Registers a servicer, e.g. add(lambda s: add_XServicer_to_server(impl, s), NAME)."""
        registrar(self.server)
        self._names.append(full_name)

    async def start(self) -> int:
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(self._names, self.server)
        self.port = self.server.add_insecure_port(self.listen)
        await self.server.start()
        if self.metrics_listen:
            host, port = split_host_port(self.metrics_listen)
            start_http_server(port, addr=host)
        for name in ["", *self._names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("serving", extra={"grpc": self.listen, "metrics": self.metrics_listen})
        return self.port

    async def stop(self, grace: float = 5.0) -> None:
        await self.health.enter_graceful_shutdown()  # tell load balancers first
        await self.server.stop(grace)

    async def run(
        self,
        on_stop: Sequence[Callable[[], Awaitable[Any]]] = (),
        grace: float = 5.0,
    ) -> None:
        """Starts, waits for SIGTERM/SIGINT, then stops the server and runs `on_stop` hooks."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        await stop.wait()
        log.info("stopping", extra={"grace_s": grace})
        await self.stop(grace)
        for hook in on_stop:
            await hook()


async def check_health(target: str, timeout: float = 2.0) -> bool:
    """True when the server at `target` answers SERVING (used by the gateway and make dev)."""
    try:
        async with grpc.aio.insecure_channel(target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout)
            return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.RpcError:
        return False
