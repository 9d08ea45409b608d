"""The gateway's store (asyncpg): accounts, sessions, kiosk devices and the audit trail."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from gateway import passwords
from services.shared.migrations import prepare

MIGRATIONS = Path(__file__).parent / "migrations"
ROLES = ("official", "supervisor", "operator", "admin")
STAGES = ("full", "second_factor", "enrol", "password")


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    province: str
    department: str
    display_name: str
    languages: tuple[str, ...] = ("zh",)
    disabled: bool = False
    must_change_password: bool = False
    two_factor: bool = False

    def public(self) -> dict[str, object]:
        return {
            "username": self.username,
            "role": self.role,
            "province": self.province,
            "department": self.department,
            "display_name": self.display_name,
            "languages": list(self.languages),
        }

    def admin_view(self) -> dict[str, object]:
        return self.public() | {
            "disabled": self.disabled,
            "must_change_password": self.must_change_password,
            "two_factor": self.two_factor,
        }


@dataclass(frozen=True)
class Session:
    account: Account
    csrf_token: str
    expires_at: datetime
    stage: str = "full"
    token_hash: str = ""

    @property
    def complete(self) -> bool:
        return self.stage == "full"


@dataclass(frozen=True)
class Device:
    id: str
    hall_id: str
    label: str
    revoked: bool = False
    created_at: datetime | None = None

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "hall_id": self.hall_id,
            "label": self.label,
            "revoked": self.revoked,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


@dataclass(frozen=True)
class TotpState:
    sealed: bytes | None
    pending: bytes | None
    last_step: int


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
        row["disabled"],
        row["must_change_password"],
        row["totp_secret"] is not None,
    )


def _device(row: asyncpg.Record) -> Device:
    return Device(str(row["id"]), row["hall_id"], row["label"], row["revoked"], row["created_at"])


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

    async def create_account(
        self,
        username: str,
        password: str,
        role: str,
        province: str,
        department: str,
        display_name: str,
        languages: tuple[str, ...],
        *,
        must_change_password: bool = False,
    ) -> Account | None:
        """None when the username is taken (an existing account is never changed here)."""
        hashed = await passwords.hash_password_async(password)
        row = await self.pool.fetchrow(
            "INSERT INTO accounts (username, password_hash, role, province, department,"
            " display_name, languages, must_change_password)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (username) DO NOTHING RETURNING *",
            username,
            hashed,
            role,
            province,
            department,
            display_name,
            list(languages),
            must_change_password,
        )
        return _account(row) if row else None

    async def create_first_admin(self, username: str, password: str) -> Account | None:
        """The first administrator, who must change the password and enrol a second factor
        at the first sign-in; None (and nothing changed) once any administrator exists."""
        hashed = await passwords.hash_password_async(password)
        async with self.pool.acquire() as conn, conn.transaction():
            # two bootstraps at once: the second waits here and then finds the first's admin
            await conn.execute("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
            if await conn.fetchval("SELECT count(*) FROM accounts WHERE role = 'admin'"):
                return None
            row = await conn.fetchrow(
                "INSERT INTO accounts (username, password_hash, role, display_name,"
                " must_change_password) VALUES ($1, $2, 'admin', '系统管理员', true) RETURNING *",
                username,
                hashed,
            )
        return _account(row)

    async def account(self, username: str) -> Account | None:
        row = await self.pool.fetchrow("SELECT * FROM accounts WHERE username = $1", username)
        return _account(row) if row else None

    async def accounts(self, include_disabled: bool = False) -> list[Account]:
        rows = await self.pool.fetch(
            "SELECT * FROM accounts WHERE $1 OR NOT disabled ORDER BY username", include_disabled
        )
        return [_account(r) for r in rows]

    async def authenticate(self, username: str, password: str) -> Account | None:
        """The account if the password is right (and it is enabled); an old hash is
        replaced by one at today's cost while the clear password is at hand."""
        row = await self.pool.fetchrow(
            "SELECT * FROM accounts WHERE username = $1 AND NOT disabled", username
        )
        stored = row["password_hash"] if row else passwords.DUMMY_HASH
        ok = await passwords.verify_password_async(password, stored)
        if not (row and ok):
            return None
        if passwords.needs_rehash(stored):
            rehashed = await passwords.hash_password_async(password)
            await self.pool.execute(
                "UPDATE accounts SET password_hash = $2 WHERE username = $1 AND password_hash = $3",
                username,
                rehashed,
                stored,
            )
        return _account(row)

    async def set_password(self, username: str, password: str, *, must_change: bool) -> bool:
        """Replaces the password; every session of the account ends."""
        hashed = await passwords.hash_password_async(password)
        async with self.pool.acquire() as conn, conn.transaction():
            changed = await conn.fetchval(
                "UPDATE accounts SET password_hash = $2, must_change_password = $3,"
                " updated_at = now() WHERE username = $1 RETURNING true",
                username,
                hashed,
                must_change,
            )
            await conn.execute("DELETE FROM sessions WHERE username = $1", username)
        return bool(changed)

    async def set_disabled(self, username: str, disabled: bool) -> Account | None:
        """Disables (ending every session) or enables an account."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE accounts SET disabled = $2, updated_at = now() WHERE username = $1 RETURNING *",
                username,
                disabled,
            )
            if disabled:
                await conn.execute("DELETE FROM sessions WHERE username = $1", username)
        return _account(row) if row else None

    async def enabled_admins(self) -> int:
        count: int = await self.pool.fetchval(
            "SELECT count(*) FROM accounts WHERE role = 'admin' AND NOT disabled"
        )
        return count

    # ------------------------------------------------------------ second factor

    async def totp_state(self, username: str) -> TotpState | None:
        row = await self.pool.fetchrow(
            "SELECT totp_secret, totp_pending, totp_last_step FROM accounts WHERE username = $1",
            username,
        )
        if row is None:
            return None
        return TotpState(row["totp_secret"], row["totp_pending"], row["totp_last_step"])

    async def begin_enrolment(self, username: str, sealed: bytes) -> None:
        await self.pool.execute(
            "UPDATE accounts SET totp_pending = $2 WHERE username = $1 AND totp_secret IS NULL",
            username,
            sealed,
        )

    async def complete_enrolment(
        self, username: str, sealed: bytes, step: int, recovery_hashes: list[str]
    ) -> bool:
        """The pending key becomes the account's, with fresh recovery codes; False if
        another enrolment finished first or the key is no longer pending."""
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval(
                "UPDATE accounts SET totp_secret = totp_pending, totp_pending = NULL,"
                " totp_last_step = $3, updated_at = now()"
                " WHERE username = $1 AND totp_pending = $2 AND totp_secret IS NULL RETURNING true",
                username,
                sealed,
                step,
            )
            if not done:
                return False
            await conn.execute("DELETE FROM recovery_codes WHERE username = $1", username)
            await conn.executemany(
                "INSERT INTO recovery_codes (username, code_hash) VALUES ($1, $2)",
                [(username, h) for h in recovery_hashes],
            )
        return True

    async def use_step(self, username: str, step: int) -> bool:
        """Records `step` as used, if it is later than the last one: one use per code even
        with two replicas checking at once."""
        used = await self.pool.fetchval(
            "UPDATE accounts SET totp_last_step = $2 WHERE username = $1 AND totp_last_step < $2"
            " RETURNING true",
            username,
            step,
        )
        return bool(used)

    async def use_recovery_code(self, username: str, code_hash: str) -> bool:
        used = await self.pool.fetchval(
            "UPDATE recovery_codes SET used_at = now()"
            " WHERE username = $1 AND code_hash = $2 AND used_at IS NULL RETURNING true",
            username,
            code_hash,
        )
        return bool(used)

    async def recovery_codes_left(self, username: str) -> int:
        left: int = await self.pool.fetchval(
            "SELECT count(*) FROM recovery_codes WHERE username = $1 AND used_at IS NULL", username
        )
        return left

    async def reset_second_factor(self, username: str) -> bool:
        """Forgets the account's TOTP key and recovery codes (it enrols again at its next
        sign-in) and ends its sessions."""
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval(
                "UPDATE accounts SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0,"
                " updated_at = now() WHERE username = $1 RETURNING true",
                username,
            )
            await conn.execute("DELETE FROM recovery_codes WHERE username = $1", username)
            await conn.execute("DELETE FROM sessions WHERE username = $1", username)
        return bool(done)

    # ------------------------------------------------------------ sessions

    async def open_session(
        self, account: Account, ttl_s: float, client: str, stage: str = "full"
    ) -> tuple[str, Session]:
        """(cookie token, session); only the token's hash is stored."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        expires = datetime.now(UTC) + timedelta(seconds=ttl_s)
        async with self.pool.acquire() as conn:
            await conn.execute("DELETE FROM sessions WHERE expires_at < now()")
            await conn.execute(
                "INSERT INTO sessions (token_hash, username, csrf_token, client, expires_at, stage)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                sha256(token),
                account.username,
                csrf,
                client,
                expires,
                stage,
            )
        return token, Session(account, csrf, expires, stage, sha256(token))

    async def session(self, token: str) -> Session | None:
        row = await self.pool.fetchrow(
            "SELECT a.*, s.csrf_token, s.expires_at, s.stage, s.token_hash FROM sessions s"
            " JOIN accounts a USING (username)"
            " WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT a.disabled",
            sha256(token),
        )
        if row is None:
            return None
        return Session(_account(row), row["csrf_token"], row["expires_at"], row["stage"], row["token_hash"])

    async def session_alive(self, token_hash: str) -> bool:
        alive = await self.pool.fetchval(
            "SELECT true FROM sessions s JOIN accounts a USING (username)"
            " WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT a.disabled",
            token_hash,
        )
        return bool(alive)

    async def close_session(self, token: str) -> None:
        await self.pool.execute("DELETE FROM sessions WHERE token_hash = $1", sha256(token))

    async def close_sessions(self, username: str) -> int:
        result: str = await self.pool.execute("DELETE FROM sessions WHERE username = $1", username)
        return int(result.split()[-1])

    # ------------------------------------------------------------ kiosk devices

    async def add_device(self, hall_id: str, key: str, label: str = "") -> Device | None:
        """A new key for a hall; None if the key is known already. A known key is never
        changed here, so a revoked one stays revoked whoever installs it again."""
        row = await self.pool.fetchrow(
            "INSERT INTO devices (key_hash, hall_id, label) VALUES ($1, $2, $3)"
            " ON CONFLICT (key_hash) DO NOTHING RETURNING *",
            sha256(key),
            hall_id,
            label,
        )
        return _device(row) if row else None

    async def device(self, key: str) -> Device | None:
        row = await self.pool.fetchrow(
            "SELECT * FROM devices WHERE key_hash = $1 AND NOT revoked", sha256(key)
        )
        return _device(row) if row else None

    async def device_by_id(self, device_id: str) -> Device | None:
        row = await self.pool.fetchrow("SELECT * FROM devices WHERE id::text = $1", device_id)
        return _device(row) if row else None

    async def devices(self) -> list[Device]:
        rows = await self.pool.fetch("SELECT * FROM devices ORDER BY hall_id, created_at")
        return [_device(r) for r in rows]

    async def revoke_device(self, device_id: str) -> Device | None:
        row = await self.pool.fetchrow(
            "UPDATE devices SET revoked = true, revoked_at = coalesce(revoked_at, now())"
            " WHERE id::text = $1 RETURNING *",
            device_id,
        )
        return _device(row) if row else None

    # ------------------------------------------------------------ audit

    async def audit(
        self, actor: str, action: str, case_id: str = "", client: str = "", detail: str = ""
    ) -> None:
        # what a caller typed (a search's filters) may hold NUL, which PostgreSQL's text refuses
        fields = [text.replace("\x00", "") for text in (actor, action, case_id, client, detail[:1000])]
        await self.pool.execute(
            "INSERT INTO audit (actor, action, case_id, client, detail) VALUES ($1, $2, $3, $4, $5)", *fields
        )

    async def audit_entries(
        self, *, case_id: str = "", actor: str = "", action: str = "", limit: int = 100
    ) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT id, at, actor, action, case_id, client, detail FROM audit"
            " WHERE ($1 = '' OR case_id = $1) AND ($2 = '' OR actor = $2) AND ($3 = '' OR action = $3)"
            " ORDER BY id DESC LIMIT $4",
            case_id,
            actor,
            action,
            limit,
        )
        return [dict(r) | {"at": r["at"].isoformat()} for r in rows]
