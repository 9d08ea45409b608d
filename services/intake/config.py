"""Intake's settings (TONGBAN_* environment variables)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from services.shared.settings import CommonSettings, env_name, postgres_url, setting

BLOB_STORES = ("local", "s3")
S3_REQUIRED = ("s3_endpoint", "s3_access_key", "s3_secret_key")
SECRETS = {"pii_keys", "pseudonym_secret", "s3_secret_key"}


def _keys(value: str) -> str | None:
    return None if ":" in value else "expected kid:base64key[,kid:base64key…]"


def _blob_store(value: str) -> str | None:
    return None if value in BLOB_STORES else "expected " + " or ".join(BLOB_STORES)


def _endpoint(value: str) -> str | None:
    if value and not re.fullmatch(r"https?://[^/\s]+/?", value):
        return "expected http(s)://host:port, without a path"
    return None


def _bucket(value: str) -> str | None:
    # the S3 rules for bucket names, so path-style and virtual-host addressing both work
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value) or ".." in value:
        return "3-63 lowercase letters, digits, dots or hyphens"
    return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class IntakeSettings(CommonSettings):
    database_url: str = setting("intake's PostgreSQL database", check=postgres_url)
    pii_keys: str = setting("AES-256-GCM keys for personal data, current first", check=_keys)
    pseudonym_secret: str = setting("HMAC secret (base64) for applicant pseudonyms")
    blob_store: str = setting("where material files live: local (a folder) or s3", "local", _blob_store)
    blob_dir: str = setting("folder for material files (TONGBAN_BLOB_STORE=local)", ".stack/blobs")
    s3_endpoint: str = setting(
        "S3-compatible endpoint http(s)://host:port (TONGBAN_BLOB_STORE=s3)", "", _endpoint
    )
    s3_bucket: str = setting("bucket for material files, created if missing", "tongban-materials", _bucket)
    s3_region: str = setting("region the S3 signature is scoped to", "us-east-1")
    s3_access_key: str = setting("S3 access key id", "")
    s3_secret_key: str = setting("S3 secret access key", "")
    db_pool_size: int = setting("PostgreSQL connections", 20)
    concurrent_uploads: int = setting(
        "uploads received at once (each is held whole until stored); more are refused with"
        " RESOURCE_EXHAUSTED",
        8,
        lambda v: None if v > 0 else "must be greater than zero",
    )

    @staticmethod
    def related_problems(values: Mapping[str, Any]) -> list[str]:
        if values.get("blob_store") != "s3":
            return []
        # a value that failed its own check is absent here and already reported
        return [
            f"{env_name(name)}: required when TONGBAN_BLOB_STORE=s3"
            for name in S3_REQUIRED
            if name in values and not values[name]
        ]

    def __repr__(self) -> str:  # settings may end up in a log line; secrets must not
        shown = ", ".join(
            f"{f.name}={'***' if f.name in SECRETS else repr(getattr(self, f.name))}"
            for f in dataclasses.fields(self)
        )
        return f"IntakeSettings({shown})"
