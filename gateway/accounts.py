"""The gateway's store (asyncpg): accounts, sessions, kiosk devices and the audit trail."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from gateway import passwords
from services.shared.migrations import prepare

MIGRATIONS = Path(__file__).parent / "migrations"
ROLES = ("official", "supervisor", "operator", "admin")


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    province: str
    department: str
    display_name: str
    languages: tuple[str, ...] = ("zh",)

    def public(self) -> dict[str, object]:
        return {
            "username": self.username,
            "role": self.role,
            "province": self.province,
            "department": self.department,
            "display_name": self.display_name,
            "languages": list(self.languages),
        }


@dataclass(frozen=True)
class Session:
    account: Account
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class Device:
    hall_id: str
    label: str


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _account(row: asyncpg.Record) -> Account:
    return Account(
        row["username"],
        row["role"],
        row["province"],
        row["department"],
        row["display_name"],
        tuple(row["languages"] or ("zh",)),
    )


class Store:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str, size: int = 5) -> Store:
        await prepare(url, MIGRATIONS, with_outbox=False)
        pool = await asyncpg.create_pool(url, min_size=1, max_size=size)
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    # ------------------------------------------------------------ accounts

    async def upsert_account(
        self,
        username: str,
        password: str,
        role: str,
        province: str = "",
        department: str = "",
        display_name: str = "",
        languages: tuple[str, ...] = ("zh",),
    ) -> Account:
        hashed = await asyncio.to_thread(passwords.hash_password, password)
        row = await self.pool.fetchrow(
            "INSERT INTO accounts (username, password_hash, role, province, department,"
            " display_name, languages) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,"
            " role = EXCLUDED.role, province = EXCLUDED.province,"
            " department = EXCLUDED.department, display_name = EXCLUDED.display_name,"
            " languages = EXCLUDED.languages, disabled = false RETURNING *",
            username,
            hashed,
            role,
            province,
            department,
            display_name,
            list(languages),
        )
        return _account(row)

    async def create_account(
        self,
        username: str,
        password: str,
        role: str,
        province: str,
        department: str,
        display_name: str,
        languages: tuple[str, ...],
    ) -> Account | None:
        """None when the username is taken."""
        hashed = await asyncio.to_thread(passwords.hash_password, password)
        row = await self.pool.fetchrow(
            "INSERT INTO accounts (username, password_hash, role, province, department,"
            " display_name, languages) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (username) DO NOTHING RETURNING *",
            username,
            hashed,
            role,
            province,
            department,
            display_name,
            list(languages),
        )
        return _account(row) if row else None

    async def accounts(self) -> list[Account]:
        rows = await self.pool.fetch("SELECT * FROM accounts WHERE NOT disabled ORDER BY username")
        return [_account(r) for r in rows]

    async def authenticate(self, username: str, password: str) -> Account | None:
        row = await self.pool.fetchrow(
            "SELECT * FROM accounts WHERE username = $1 AND NOT disabled", username
        )
        stored = row["password_hash"] if row else passwords.DUMMY_HASH
        ok = await asyncio.to_thread(passwords.verify_password, password, stored)
        return _account(row) if row and ok else None

    # ------------------------------------------------------------ sessions

    async def open_session(self, account: Account, ttl_s: float, client: str) -> tuple[str, Session]:
        """(cookie token, session); only the token's hash is stored."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        expires = datetime.now(UTC) + timedelta(seconds=ttl_s)
        async with self.pool.acquire() as conn:
            await conn.execute("DELETE FROM sessions WHERE expires_at < now()")
            await conn.execute(
                "INSERT INTO sessions (token_hash, username, csrf_token, client, expires_at)"
                " VALUES ($1, $2, $3, $4, $5)",
                sha256(token),
                account.username,
                csrf,
                client,
                expires,
            )
        return token, Session(account, csrf, expires)

    async def session(self, token: str) -> Session | None:
        row = await self.pool.fetchrow(
            "SELECT a.*, s.csrf_token, s.expires_at FROM sessions s JOIN accounts a USING (username)"
            " WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT a.disabled",
            sha256(token),
        )
        return Session(_account(row), row["csrf_token"], row["expires_at"]) if row else None

    async def close_session(self, token: str) -> None:
        await self.pool.execute("DELETE FROM sessions WHERE token_hash = $1", sha256(token))

    # ------------------------------------------------------------ kiosk devices

    async def add_device(self, hall_id: str, key: str, label: str = "") -> None:
        await self.pool.execute(
            "INSERT INTO devices (key_hash, hall_id, label) VALUES ($1, $2, $3)"
            " ON CONFLICT (key_hash) DO UPDATE SET hall_id = EXCLUDED.hall_id,"
            " label = EXCLUDED.label, revoked = false",
            sha256(key),
            hall_id,
            label,
        )

    async def device(self, key: str) -> Device | None:
        row = await self.pool.fetchrow(
            "SELECT hall_id, label FROM devices WHERE key_hash = $1 AND NOT revoked", sha256(key)
        )
        return Device(row["hall_id"], row["label"]) if row else None

    # ------------------------------------------------------------ audit

    async def audit(
        self, actor: str, action: str, case_id: str = "", client: str = "", detail: str = ""
    ) -> None:
        await self.pool.execute(
            "INSERT INTO audit (actor, action, case_id, client, detail) VALUES ($1, $2, $3, $4, $5)",
            actor,
            action,
            case_id,
            client,
            detail[:1000],
        )
