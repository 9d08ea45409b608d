"""The gateway's settings (TONGBAN_* environment variables)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from services.shared import topics
from services.shared.settings import host_port, positive, postgres_url, setting

MIB = 1024 * 1024
ENVIRONMENTS = ("dev", "production")


def environment_name(value: str) -> str | None:
    return None if value in ENVIRONMENTS else "expected dev or production"


def networks(values: list[str]) -> str | None:
    """Addresses or CIDR networks (10.0.0.0/8, 192.0.2.7, 2001:db8::/32)."""
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"{value!r} is not an address or a network"
    return None


@dataclass(frozen=True, kw_only=True)
class GatewaySettings:
    http_listen: str = setting("HTTP listen address host:port", "127.0.0.1:8080", host_port)
    kafka_bootstrap: str = setting("Kafka bootstrap servers", "127.0.0.1:9092", host_port)
    topic_namespace: str = setting(
        "prefix of every topic and consumer group, so stacks can share a broker (empty: none)",
        "",
        topics.namespace_problem,
    )
    database_url: str = setting(
        "the gateway's PostgreSQL database (sessions, accounts)",
        "postgresql://tongban@127.0.0.1:5433/gateway",
        postgres_url,
    )
    services: list[str] = setting(
        "services the gateway depends on (health and API)", ["intake", "routing", "window", "results"]
    )
    intake_addr: str = setting("intake gRPC address", "127.0.0.1:7051", host_port)
    routing_addr: str = setting("routing gRPC address", "127.0.0.1:7052", host_port)
    window_addr: str = setting("window gRPC address", "127.0.0.1:7053", host_port)
    results_addr: str = setting("results gRPC address", "127.0.0.1:7054", host_port)
    log_level: str = setting("log level", "INFO")
    environment: str = setting(
        "dev or production: production (the default) sends HSTS, marks cookies Secure and"
        " refuses development seeding",
        "production",
        environment_name,
    )
    trusted_proxies: list[str] = setting(
        "addresses or CIDR networks of the reverse proxies in front of the gateway, whose"
        " X-Forwarded-For is believed (none by default: the peer is the client)",
        [],
        networks,
    )
    session_secret: str = setting(
        "secret (base64 or text) signing applicant tokens and deriving dev credentials;"
        " random per process when empty",
        "",
    )
    session_ttl_s: float = setting("how long a staff session lasts (seconds)", 8 * 3600.0, positive)
    applicant_token_ttl_s: float = setting(
        "how long an applicant's case token is valid (seconds)", 12 * 3600.0, positive
    )
    cookie_secure: bool | None = setting(
        "mark cookies Secure; unset: true outside dev (TONGBAN_ENVIRONMENT)", None
    )
    login_free_failures: int = setting(
        "failed sign-ins per username and address before each further one waits", 3, positive
    )
    login_delay_s: float = setting(
        "the first wait after the free failures (seconds); each further failure doubles it", 1.0, positive
    )
    login_max_delay_s: float = setting("the longest wait between failed sign-ins (seconds)", 900.0, positive)
    login_address_free_failures: int = setting(
        "failed sign-ins from one address, whatever the username, before each further one waits",
        20,
        positive,
    )
    kiosk_idle_s: float = setting(
        "seconds without a touch after which a kiosk clears its screen and the applicant's"
        " token (not while a video window is connected)",
        120.0,
        positive,
    )
    kiosk_applications_per_minute: int = setting(
        "new applications one kiosk may create a minute", 6, positive
    )
    verify_per_minute: int = setting(
        "certificate checks (/verify) one address may make a minute", 30, positive
    )
    seed_dev_accounts: bool = setting(
        "create the development accounts and kiosk keys at start-up (dev only)", False
    )
    device_keys: list[str] = setting(
        "kiosk device keys to install at start-up, hall_id:key[,hall_id:key…] (stored hashed)", []
    )
    max_json_bytes: int = setting("largest JSON request body", MIB, positive)
    max_upload_bytes: int = setting("largest material upload (the file itself)", 20 * MIB, positive)
    grpc_timeout_s: float = setting("deadline of each call to a service (seconds)", 10.0, positive)
    live_events: bool = setting("follow Kafka for the live WebSocket views", True)
    ice_servers: list[str] = setting("STUN/TURN URLs handed to browsers; none by default", [])
    turn_secret: str = setting(
        "TURN's REST secret (coturn --static-auth-secret): signed-in consoles get a fresh"
        " TURN credential with the ICE servers",
        "",
    )
    turn_ttl_s: float = setting("how long a browser's TURN credential lasts (seconds)", 3600.0, positive)

    @property
    def dev(self) -> bool:
        return self.environment == "dev"

    @property
    def secure_cookies(self) -> bool:
        return (not self.dev) if self.cookie_secure is None else self.cookie_secure

    def catalog(self) -> topics.Catalog:
        """The services' topics, inside the namespace they run in."""
        return topics.load(namespace=self.topic_namespace)

    def address_of(self, service: str) -> str:
        return str(getattr(self, f"{service}_addr"))

    @staticmethod
    def related_problems(values: dict[str, Any]) -> list[str]:
        if values.get("seed_dev_accounts") and values.get("environment", "production") != "dev":
            return [
                "TONGBAN_SEED_DEV_ACCOUNTS=true: development accounts are seeded only with"
                " TONGBAN_ENVIRONMENT=dev"
            ]
        return []
