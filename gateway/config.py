"""The gateway's settings (TONGBAN_* environment variables)."""

from __future__ import annotations

from dataclasses import dataclass

from services.shared.settings import host_port, postgres_url, setting


@dataclass(frozen=True, kw_only=True)
class GatewaySettings:
    http_listen: str = setting("HTTP listen address host:port", "127.0.0.1:8080", host_port)
    kafka_bootstrap: str = setting("Kafka bootstrap servers", "127.0.0.1:9092", host_port)
    database_url: str = setting(
        "the gateway's PostgreSQL database (sessions, accounts)",
        "postgresql://tongban@127.0.0.1:5433/gateway", postgres_url,
    )
    services: list[str] = setting(
        "services the gateway depends on (health and API)", ["intake", "routing", "window", "results"]
    )
    intake_addr: str = setting("intake gRPC address", "127.0.0.1:50051", host_port)
    routing_addr: str = setting("routing gRPC address", "127.0.0.1:50052", host_port)
    window_addr: str = setting("window gRPC address", "127.0.0.1:50053", host_port)
    results_addr: str = setting("results gRPC address", "127.0.0.1:50054", host_port)
    log_level: str = setting("log level", "INFO")

    def address_of(self, service: str) -> str:
        return str(getattr(self, f"{service}_addr"))

