"""The gateway's HTTP application: what browsers and operators reach on 127.0.0.1:8080.

REST/JSON under /api/v1 and WebSockets under /ws, translated to the services' gRPC; the
three consoles as static files; the certificate verify page (verify.py); the OpenAPI
document at /openapi.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from starlette.staticfiles import StaticFiles

from gateway import errors, health, verify
from gateway.accounts import Store
from gateway.config import MIB, GatewaySettings
from gateway.context import Gateway, secret_bytes
from gateway.grpc_clients import Services
from gateway.limits import BodyLimit, SecurityHeaders
from gateway.live import LiveConsumer
from gateway.ratelimit import SlidingWindow
from gateway.routes import admin, kiosk, official, operator, public, session, ws
from gateway.seed import seed_into

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
UPLOAD_PATH = re.compile(r"^/api/v1/kiosk/cases/[^/]+/materials$")
STORE_RETRY_S = 5.0


async def open_store(gateway: Gateway) -> None:
    """Opens the account store, retrying while PostgreSQL is away; then seeds."""
    settings = gateway.settings
    while True:
        try:
            store = await Store.open(settings.database_url)
            break
        except (OSError, TimeoutError) as error:
            log.warning("account database unavailable; retrying", extra={"error": repr(error)})
        except Exception as error:  # asyncpg's own errors (e.g. the database is starting)
            log.warning("account database not ready; retrying", extra={"error": repr(error)})
        await asyncio.sleep(STORE_RETRY_S)
    for entry in settings.device_keys:
        hall_id, _, key = entry.partition(":")
        if hall_id and key:
            await store.add_device(hall_id, key, "configured")
    if settings.seed_dev_accounts:
        for username, password, role, province in await seed_into(store, settings.session_secret):
            log.info(
                "development credentials",
                extra={"username": username, "password": password, "role": role, "province": province},
            )
    gateway.store_or_none = store


def create_app(settings: GatewaySettings) -> FastAPI:
    kafka = health.KafkaProbe(settings.kafka_bootstrap)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = Gateway(
            settings,
            secret_bytes(settings.session_secret),
            Services(settings),
            limiter=SlidingWindow(settings.login_attempts_per_minute),
        )
        app.state.gateway = gateway
        opening = asyncio.create_task(open_store(gateway))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(opening), 30.0)
        consumer = (
            LiveConsumer(settings.kafka_bootstrap, gateway.hub, settings.catalog())
            if settings.live_events
            else None
        )
        if consumer is not None:
            consumer.start()
            gateway.consumer = consumer
        try:
            yield
        finally:
            if consumer is not None:
                await consumer.stop()
            opening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await opening
            await gateway.services.close()
            if gateway.store_or_none is not None:
                await gateway.store_or_none.close()
            kafka.close()

    # No /docs page: FastAPI's loads its script from a CDN, and nothing here reaches out.
    app = FastAPI(
        title="Tongban gateway",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="REST/JSON and WebSockets for the kiosk, official and operator "
        "consoles of 跨省通办 remote virtual windows. Every error is "
        '`{"error": {"code", "message_zh", "message_en", "fields"}}`.',
    )
    errors.install(app)

    def body_limit(path: str) -> int:
        if UPLOAD_PATH.match(path):
            return settings.max_upload_bytes + MIB  # the file plus multipart framing
        return settings.max_json_bytes

    app.add_middleware(BodyLimit, limit_for=body_limit)
    app.add_middleware(SecurityHeaders)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> JSONResponse:
        """200 when Kafka, PostgreSQL and every service answer; 503 naming what is down."""
        ok, body = await health.report(settings, kafka)
        return JSONResponse(body, status_code=200 if ok else 503)

    app.include_router(verify.router(settings))
    for module in (public, session, kiosk, official, operator, admin, ws):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC / "common"), name="static")
    for console in ("kiosk", "official", "operator"):
        app.mount(f"/{console}", StaticFiles(directory=STATIC / console, html=True), name=console)
    return app
