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

import uvicorn
from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway import errors, health, verify
from gateway.accounts import Store
from gateway.config import MIB, GatewaySettings
from gateway.context import Gateway
from gateway.grpc_clients import Services
from gateway.limits import BodyLimit, SecurityHeaders
from gateway.live import LiveConsumer
from gateway.routes import admin, kiosk, official, operator, public, session, ws
from gateway.seed import seed_into
from gateway.sessionkey import secret_bytes

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
UPLOAD_PATH = re.compile(r"^/api/v1/kiosk/cases/[^/]+/materials$")
STORE_RETRY_S = 5.0


async def open_store(gateway: Gateway) -> None:
    """Opens the account store, retrying while PostgreSQL is away; installs the configured
    kiosk keys that are new (a revoked one stays revoked) and, in dev, seeds."""
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
        added = await seed_into(store, settings.session_secret, settings.environment, gateway.sealer)
        # names only: the passwords are `make dev`'s to print (gateway.seed.dev_credentials)
        log.info("development accounts seeded", extra={"added": added})
    gateway.store_or_none = store


def create_app(settings: GatewaySettings) -> FastAPI:
    kafka = health.KafkaProbe(settings.kafka_bootstrap)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = Gateway(settings, secret_bytes(settings.session_secret), Services(settings))
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
    app.add_middleware(SecurityHeaders, hsts=not settings.dev)
    # The client's address (for sign-in limits and the audit) is the peer's, unless the
    # peer is a configured proxy: then the last address in X-Forwarded-For that is not a
    # proxy. Added last, so it runs first; with no proxies configured it changes nothing
    # and a client's own X-Forwarded-For is ignored.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))

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
    for console in ("kiosk", "official", "operator", "admin"):
        app.mount(f"/{console}", StaticFiles(directory=STATIC / console, html=True), name=console)
    return app


def server_config(settings: GatewaySettings, host: str, port: int, **extra: object) -> uvicorn.Config:
    """How uvicorn serves the gateway (`python -m gateway` and the tests alike). uvicorn's
    own proxy-header handling is off: by default it believes X-Forwarded-For from
    127.0.0.1, which would let anyone on the host (or a same-host proxy's clients) choose
    their address; the app's ProxyHeadersMiddleware trusts only TONGBAN_TRUSTED_PROXIES."""
    options: dict[str, object] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        "ws": "wsproto",
        "proxy_headers": False,
        "server_header": False,
    }
    return uvicorn.Config(create_app(settings), **(options | extra))  # type: ignore[arg-type]
