import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from services.shared.grpcserver import Service, check_health
from tools.engines import free_port


async def test_health_reflection_metrics_and_graceful_stop() -> None:
    port = free_port()
    service = Service("probe", f"127.0.0.1:{port}")
    await service.start()
    target = f"127.0.0.1:{port}"
    try:
        assert await check_health(target)
        async with grpc.aio.insecure_channel(target) as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)

            async def ask():  # type: ignore[no-untyped-def]
                yield reflection_pb2.ServerReflectionRequest(list_services="")

            async for reply in stub.ServerReflectionInfo(ask()):
                names = [s.name for s in reply.list_services_response.service]
                assert "grpc.health.v1.Health" in names
            health = health_pb2_grpc.HealthStub(channel)
            await health.Check(health_pb2.HealthCheckRequest(service="grpc.health.v1.Health"))
        sample = REGISTRY.get_sample_value(
            "tongban_grpc_requests_total", {"method": "/grpc.health.v1.Health/Check", "code": "OK"}
        )
        assert sample is not None and sample >= 2
    finally:
        await service.stop(grace=0.5)
    assert not await check_health(target, timeout=0.5)
