"""Development accounts and kiosk keys, for `make dev`, the tests and the browser journey.

Development only: `seed_into` refuses unless the environment is dev (so does the gateway's
configuration, TONGBAN_SEED_DEV_ACCOUNTS needs TONGBAN_ENVIRONMENT=dev). Production starts
from `python -m gateway.bootstrap` (gateway/bootstrap.py) and the admin API.

Passwords, kiosk keys and the TOTP keys of the accounts that need a second factor are
derived from the session secret (HMAC), so they stay the same across restarts of one local
stack and differ between stacks; without a secret they are random each time. Seeding only
adds what is missing: an account an administrator disabled stays disabled, a revoked key
stays revoked, a changed password stays changed. Nothing here logs a password or a key:
`make dev` prints them from `dev_credentials`, which needs no database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from gateway import totp
from gateway.accounts import Store
from gateway.sessionkey import secret_bytes


class NotDevelopment(Exception):
    """Seeding was asked for outside the development environment."""


@dataclass(frozen=True)
class DevAccount:
    username: str
    role: str
    province: str
    department: str
    display_name: str


DEV_ACCOUNTS = (
    DevAccount("sh-official-1", "official", "310000", "housing_fund", "王芳（上海公积金）"),
    DevAccount("ah-official-1", "official", "340000", "housing_fund", "李强（安徽公积金）"),
    DevAccount("sh-supervisor-1", "supervisor", "310000", "housing_fund", "陈静（上海值班长）"),
    DevAccount("operator-1", "operator", "", "", "运行监测员"),
    DevAccount("admin-1", "admin", "", "", "系统管理员"),
)
# (hall id, its province): the kiosk of the Hefei hall in the journey, and one in Shanghai.
DEV_KIOSKS = (("hall-340104-01", "340000"), ("hall-310101-01", "310000"))


def _mac(secret: str, label: str) -> bytes:
    return hmac.new(secret.encode(), f"tongban-dev|{label}".encode(), hashlib.sha256).digest()


def _derived(secret: str, label: str, length: int) -> str:
    if not secret:
        return secrets.token_urlsafe(length)[:length]
    return base64.b32encode(_mac(secret, label)).decode().lower().rstrip("=")[:length]


def dev_credentials(session_secret: str) -> list[tuple[str, str, str, str]]:
    """(username, password, role, province) of every development account, and for each
    development kiosk (hall id, device key, "kiosk", province). Pure: no database."""
    rows = [
        (a.username, "tb-" + _derived(session_secret, "password|" + a.username, 12), a.role, a.province)
        for a in DEV_ACCOUNTS
    ]
    rows += [
        (hall, "dk-" + _derived(session_secret, "device|" + hall, 32), "kiosk", province)
        for hall, province in DEV_KIOSKS
    ]
    return rows


def dev_totp_key(session_secret: str, username: str) -> bytes | None:
    """The TOTP key a development account that needs a second factor is enrolled with
    (None for the others, or without a secret): `gateway.totp.code(key)` is its code now."""
    account = next((a for a in DEV_ACCOUNTS if a.username == username), None)
    if account is None or account.role not in totp.REQUIRED_ROLES or not session_secret:
        return None
    return _mac(session_secret, "totp|" + username)[: totp.KEY_BYTES]


async def seed_into(store: Store, session_secret: str, environment: str, sealer: totp.Sealer) -> list[str]:
    """Adds the development accounts and kiosk keys that are missing; the names added.
    `sealer` seals TOTP keys as the gateway that reads them does."""
    if environment != "dev":
        raise NotDevelopment("development accounts are seeded only with TONGBAN_ENVIRONMENT=dev")
    details = {a.username: a for a in DEV_ACCOUNTS}
    added: list[str] = []
    for username, password, role, province in dev_credentials(session_secret):
        if role == "kiosk":
            if await store.add_device(username, password, label="development kiosk") is not None:
                added.append(username)
            continue
        account = details[username]
        created = await store.create_account(
            username, password, role, province, account.department, account.display_name, ("zh",)
        )
        if created is None:
            continue
        added.append(username)
        key = dev_totp_key(session_secret, username)
        if key is not None:
            sealed = sealer.seal(key, username)
            await store.begin_enrolment(username, sealed)
            # the step before the epoch's first: any code of the key is accepted once
            await store.complete_enrolment(username, sealed, 0, [])
    return added


async def seed_dev_accounts(database_url: str, session_secret: str = "") -> list[tuple[str, str, str, str]]:
    """Adds the development accounts and kiosk keys to the gateway's database (migrating it
    first) and returns what `dev_credentials` returns."""
    store = await Store.open(database_url, size=1)
    try:
        sealer = totp.Sealer.from_secret(secret_bytes(session_secret))
        await seed_into(store, session_secret, "dev", sealer)
        return dev_credentials(session_secret)
    finally:
        await store.close()
