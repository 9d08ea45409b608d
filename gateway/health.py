"""Dependency health for /healthz: Kafka, PostgreSQL and each service's grpc.health.v1."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from gateway.config import GatewaySettings
from services.shared.grpcserver import check_health

TIMEOUT_S = 2.0


@dataclass
class KafkaProbe:
    """Asks the cluster for its metadata; the admin client is reused between probes."""

    bootstrap: str
    _admin: Any = field(default=None, repr=False)

    def check(self) -> bool:
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        try:
            if self._admin is None:
                self._admin = KafkaAdminClient(
                    bootstrap_servers=self.bootstrap,
                    request_timeout_ms=int(TIMEOUT_S * 1000),
                    client_id="tongban-gateway-health",
                )
            self._admin.describe_cluster()
            return True
        except (KafkaError, OSError):
            self.close()
            return False

    def close(self) -> None:
        if self._admin is not None:
            try:
                self._admin.close()
            except Exception:  # a broken client may fail to close; drop it either way
                pass
            self._admin = None


async def postgres_up(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=TIMEOUT_S)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    try:
        return bool(await conn.fetchval("SELECT 1") == 1)
    finally:
        await conn.close()


async def report(settings: GatewaySettings, kafka: KafkaProbe) -> tuple[bool, dict[str, Any]]:
    """(all healthy, per-dependency status) — every probe runs concurrently."""
    started = time.perf_counter()
    names = ["kafka", "postgres", *settings.services]
    probes = [
        asyncio.to_thread(kafka.check),
        postgres_up(settings.database_url),
        *(check_health(settings.address_of(s), TIMEOUT_S) for s in settings.services),
    ]
    results = await asyncio.gather(*probes, return_exceptions=True)
    dependencies: dict[str, Any] = {}
    for name, result in zip(names, results, strict=True):
        up = result is True
        entry: dict[str, Any] = {"status": "up" if up else "down"}
        if name in settings.services:
            entry["address"] = settings.address_of(name)
        if isinstance(result, BaseException):
            entry["error"] = type(result).__name__
        dependencies[name] = entry
    ok = all(d["status"] == "up" for d in dependencies.values())
    return ok, {
        "status": "ok" if ok else "degraded",
        "dependencies": dependencies,
        "checked_in_ms": round((time.perf_counter() - started) * 1000, 1),
    }
