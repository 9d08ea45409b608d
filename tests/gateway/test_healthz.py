"""/healthz against the real Kafka, PostgreSQL and a real gRPC health endpoint."""

import httpx

from gateway.app import create_app
from gateway.config import GatewaySettings
from services.shared.grpcserver import Service
from tools.engines import free_port


async def call_healthz(settings: GatewaySettings) -> httpx.Response:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        return await client.get("/healthz")


async def test_healthy_when_every_dependency_answers_and_503_naming_the_one_down(
    kafka_bootstrap: str, postgres_url: str
) -> None:
    port = free_port()
    intake = Service("intake", f"127.0.0.1:{port}")
    await intake.start()
    settings = GatewaySettings(
        kafka_bootstrap=kafka_bootstrap,
        database_url=postgres_url,
        services=["intake"],
        intake_addr=f"127.0.0.1:{port}",
    )
    try:
        reply = await call_healthz(settings)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["status"] == "ok"
        assert {k: v["status"] for k, v in body["dependencies"].items()} == {
            "kafka": "up",
            "postgres": "up",
            "intake": "up",
        }
    finally:
        await intake.stop(grace=0.1)
    reply = await call_healthz(settings)
    assert reply.status_code == 503
    assert reply.json()["dependencies"]["intake"]["status"] == "down"
    assert reply.json()["dependencies"]["kafka"]["status"] == "up"


async def test_503_when_postgres_is_unreachable(kafka_bootstrap: str) -> None:
    settings = GatewaySettings(
        kafka_bootstrap=kafka_bootstrap,
        services=[],
        database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/gateway",
    )
    reply = await call_healthz(settings)
    assert reply.status_code == 503
    assert reply.json()["dependencies"]["postgres"]["status"] == "down"
