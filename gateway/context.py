"""What every route reaches through `request.app.state.gateway`: settings, the signing
secret, the store, the service stubs, the live hub and the login limiter."""

from __future__ import annotations

import base64
import binascii
import logging
import os
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from gateway.accounts import Store
from gateway.config import GatewaySettings
from gateway.errors import ApiError
from gateway.frequencies import MatterFrequencies
from gateway.grpc_clients import Services
from gateway.live import LiveConsumer, LiveHub
from gateway.ratelimit import SlidingWindow

log = logging.getLogger(__name__)


def secret_bytes(text: str) -> bytes:
    """The configured secret (base64, or plain text); random when not configured."""
    if not text:
        log.warning("no TONGBAN_SESSION_SECRET: applicant tokens die with this process")
        return os.urandom(32)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode()


@dataclass
class Gateway:
    settings: GatewaySettings
    secret: bytes
    services: Services
    hub: LiveHub = field(default_factory=LiveHub)
    limiter: SlidingWindow = field(default_factory=lambda: SlidingWindow(5))
    store_or_none: Store | None = None
    consumer: LiveConsumer | None = None
    frequencies: MatterFrequencies = field(default_factory=MatterFrequencies)

    @property
    def store(self) -> Store:
        if self.store_or_none is None:
            raise ApiError(
                503,
                "service_unavailable",
                "账户数据库暂时不可用",
                "the account database is unavailable",
                headers={"Retry-After": "5"},
            )
        return self.store_or_none


def gateway_of(connection: HTTPConnection) -> Gateway:
    gateway: Gateway | None = getattr(connection.app.state, "gateway", None)
    if gateway is None:  # the application was not started (lifespan not run)
        raise ApiError(503, "service_unavailable", "网关尚未就绪", "the gateway is not ready")
    return gateway


def client_of(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"
