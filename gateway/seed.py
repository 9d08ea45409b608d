"""Development accounts and a kiosk key, for `make dev` and the browser journey.

Passwords are derived from the session secret (HMAC), so they stay the same across restarts
of one local stack and differ between stacks; without a secret they are random each time.
Seeding runs only when TONGBAN_SEED_DEV_ACCOUNTS is true.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from gateway.accounts import Store


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


def _derived(secret: str, label: str, length: int) -> str:
    if not secret:
        return secrets.token_urlsafe(length)[:length]
    mac = hmac.new(secret.encode(), f"tongban-dev|{label}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode().lower().rstrip("=")[:length]


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


async def seed_into(store: Store, session_secret: str) -> list[tuple[str, str, str, str]]:
    credentials = dev_credentials(session_secret)
    details = {a.username: a for a in DEV_ACCOUNTS}
    for username, password, role, province in credentials:
        if role == "kiosk":
            await store.add_device(username, password, label="development kiosk")
            continue
        account = details[username]
        await store.upsert_account(
            username, password, role, province, account.department, account.display_name
        )
    return credentials


async def seed_dev_accounts(database_url: str, session_secret: str = "") -> list[tuple[str, str, str, str]]:
    """Creates (or resets) the development accounts and kiosk keys in the gateway's database
    (migrating it first) and returns what `dev_credentials` returns."""
    store = await Store.open(database_url, size=1)
    try:
        return await seed_into(store, session_secret)
    finally:
        await store.close()
