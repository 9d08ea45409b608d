"""What every route reaches through `request.app.state.gateway`: settings, the signing
secret, the store, the service stubs, the live hub, the limits and the open sockets."""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from gateway.accounts import Store
from gateway.config import GatewaySettings
from gateway.errors import ApiError
from gateway.frequencies import MatterFrequencies
from gateway.grpc_clients import Services
from gateway.live import LiveConsumer, LiveHub
from gateway.ratelimit import GrowingDelay, SlidingWindow
from gateway.sockets import SocketEndings
from gateway.totp import Sealer

log = logging.getLogger(__name__)


class CaseProvinces:
    """Which province owns a case (fixed when it is created), remembered for the live
    streams, which ask for every event (gateway.access.target_province)."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._known: OrderedDict[str, str] = OrderedDict()

    def get(self, case_id: str) -> str | None:
        return self._known.get(case_id)

    def remember(self, case_id: str, province: str) -> None:
        self._known[case_id] = province
        self._known.move_to_end(case_id)
        while len(self._known) > self.size:
            self._known.popitem(last=False)


@dataclass
class Limits:
    """Failed sign-ins slow down per username and address, and per address alone (many
    usernames from one place); wrong second-factor codes per username and address, and,
    with a larger allowance, per account (only someone who has the password gets that far,
    so slowing the account's owner a little is the lesser harm); kiosks' new applications
    per device. (Certificate checks per address are gateway/verify.py's.)"""

    sign_in: GrowingDelay
    sign_in_address: GrowingDelay
    second_factor: GrowingDelay  # per username and address
    second_factor_account: GrowingDelay  # per username: many addresses guessing one account
    applications: SlidingWindow

    @classmethod
    def of(cls, settings: GatewaySettings) -> Limits:
        first, longest = settings.login_delay_s, settings.login_max_delay_s
        return cls(
            sign_in=GrowingDelay(settings.login_free_failures, first, longest),
            # capped low and soon forgotten: an office behind one address must not wait long
            # for its colleagues' typos; it is there against one address trying many names
            sign_in_address=GrowingDelay(
                settings.login_address_free_failures, first, min(longest, 60.0), forget_s=3600.0
            ),
            second_factor=GrowingDelay(settings.login_free_failures, first, longest),
            second_factor_account=GrowingDelay(
                settings.login_free_failures * 4, first, longest, forget_s=3600.0
            ),
            applications=SlidingWindow(settings.kiosk_applications_per_minute),
        )


@dataclass
class Gateway:
    settings: GatewaySettings
    secret: bytes
    services: Services
    hub: LiveHub = field(default_factory=LiveHub)
    sockets: SocketEndings = field(default_factory=SocketEndings)
    case_provinces: CaseProvinces = field(default_factory=CaseProvinces)
    store_or_none: Store | None = None
    consumer: LiveConsumer | None = None
    frequencies: MatterFrequencies = field(default_factory=MatterFrequencies)
    limits: Limits = field(init=False)
    sealer: Sealer = field(init=False)  # TOTP keys at rest, under a key from the secret

    def __post_init__(self) -> None:
        self.limits = Limits.of(self.settings)
        self.sealer = Sealer.from_secret(self.secret)

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
