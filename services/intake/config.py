"""Intake's settings (TONGBAN_* environment variables)."""

from __future__ import annotations

from dataclasses import dataclass

from services.shared.settings import CommonSettings, postgres_url, setting


def _keys(value: str) -> str | None:
    return None if ":" in value else "expected kid:base64key[,kid:base64key…]"


@dataclass(frozen=True, kw_only=True)
class IntakeSettings(CommonSettings):
    database_url: str = setting("intake's PostgreSQL database", check=postgres_url)
    pii_keys: str = setting("AES-256-GCM keys for personal data, current first", check=_keys)
    pseudonym_secret: str = setting("HMAC secret (base64) for applicant pseudonyms")
    blob_dir: str = setting("folder for material files", ".stack/blobs")
    db_pool_size: int = setting("PostgreSQL connections", 20)
