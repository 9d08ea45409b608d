"""The gateway's HTTP application: what browsers and operators reach on 127.0.0.1:8080."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from gateway import health, verify
from gateway.config import GatewaySettings


def create_app(settings: GatewaySettings) -> FastAPI:
    kafka = health.KafkaProbe(settings.kafka_bootstrap)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        kafka.close()

    app = FastAPI(title="Tongban gateway", version="0.1.0", lifespan=lifespan)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> JSONResponse:
        """200 when Kafka, PostgreSQL and every service answer; 503 naming what is down."""
        ok, body = await health.report(settings, kafka)
        return JSONResponse(body, status_code=200 if ok else 503)

    app.include_router(verify.router(settings))
    return app
