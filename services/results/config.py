"""The results service's settings (TONGBAN_* environment variables)."""

from __future__ import annotations

from dataclasses import dataclass

from services.shared.settings import CommonSettings, positive, postgres_url, setting


@dataclass(frozen=True, kw_only=True)
class ResultsSettings(CommonSettings):
    database_url: str = setting("results' PostgreSQL database", check=postgres_url)
    certificate_secret: str = setting("HMAC secret (base64) for certificate verification hashes")
    pii_keys: str = setting("AES-256-GCM keys (kid:base64,…) for mail addresses")
    public_base_url: str = setting("where the gateway's verify page lives", "http://127.0.0.1:8080")
    deadline_sweep_s: float = setting("how often deadlines are checked (seconds)", 60.0, positive)
    deadline_warn_days: int = setting("working days left when a deadline warning is sent", 1)
    db_pool_size: int = setting("PostgreSQL connections", 20)
