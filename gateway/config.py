"""The gateway's settings (TONGBAN_* environment variables)."""

from __future__ import annotations

from dataclasses import dataclass

from services.shared import topics
from services.shared.settings import host_port, positive, postgres_url, setting

MIB = 1024 * 1024


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
    session_secret: str = setting(
        "secret (base64 or text) signing applicant tokens and deriving dev credentials;"
        " random per process when empty",
        "",
    )
    session_ttl_s: float = setting("how long a staff session lasts (seconds)", 8 * 3600.0, positive)
    applicant_token_ttl_s: float = setting(
        "how long an applicant's case token is valid (seconds)", 12 * 3600.0, positive
    )
    cookie_secure: bool = setting("mark cookies Secure (set true behind HTTPS)", False)
    login_attempts_per_minute: int = setting(
        "failed sign-ins allowed per username and per client address each minute", 5, positive
    )
    seed_dev_accounts: bool = setting("create the development accounts and kiosk key at start-up", False)
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

    def catalog(self) -> topics.Catalog:
        """The services' topics, inside the namespace they run in."""
        return topics.load(namespace=self.topic_namespace)

    def address_of(self, service: str) -> str:
        return str(getattr(self, f"{service}_addr"))
