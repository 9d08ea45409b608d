"""Staff sign-in through the gateway in front of the real services: scrypt-hashed passwords,
cookie flags, CSRF, logout, the login rate limit, development seeding, kiosk keys stored
hashed, accounts created by an administrator."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from gateway.accounts import sha256
from gateway.seed import dev_credentials, seed_dev_accounts
from tests.gateway.gateway_support import (
    KIOSK_KEY,
    SECRET,
    RealStack,
    RunningGateway,
    assert_error,
    bearer,
    kiosk_case,
    password,
    signed_in,
    start_gateway,
)


@pytest.fixture(scope="module")
async def limited(stack: RealStack) -> AsyncIterator[RunningGateway]:
    """A second gateway on the same services and accounts, with the production allowance
    of three failed sign-ins per username and address (and five per address here; the
    shared gateway allows the suite many more)."""
    gateway = await start_gateway(
        stack.settings(login_free_failures=3, login_address_free_failures=5, live_events=False)
    )
    yield gateway
    await gateway.stop()


async def test_passwords_and_device_keys_are_stored_hashed(stack: RealStack) -> None:
    conn = await asyncpg.connect(stack.gateway.settings.database_url)
    try:
        stored = await conn.fetchval(
            "SELECT password_hash FROM accounts WHERE username = $1", "sh-official-1"
        )
        devices = [r["key_hash"] for r in await conn.fetch("SELECT key_hash FROM devices")]
    finally:
        await conn.close()
    assert stored.startswith("scrypt$131072$8$1$") and password("sh-official-1") not in stored
    assert sha256(KIOSK_KEY) in devices and KIOSK_KEY not in devices


async def test_sign_in_sets_a_strict_httponly_session_and_a_csrf_token(stack: RealStack) -> None:
    async with stack.gateway.client() as client:
        reply = await client.post(
            "/api/v1/auth/login", json={"username": "SH-Official-1", "password": password("sh-official-1")}
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["user"]["province"] == "310000" and body["user"]["role"] == "official"
        cookies = reply.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("tongban_session="))
        csrf = next(c for c in cookies if c.startswith("tongban_csrf="))
        assert "HttpOnly" in session and "SameSite=strict" in session.replace("Strict", "strict")
        assert "Path=/" in session and "HttpOnly" not in csrf
        assert csrf.split(";")[0].split("=", 1)[1] == body["csrf_token"]
        me = await client.get("/api/v1/auth/me")
        assert me.json()["csrf_token"] == body["csrf_token"]


async def test_wrong_passwords_and_unknown_users_get_the_same_401(stack: RealStack) -> None:
    async with stack.gateway.client("127.0.0.2") as client:
        wrong = assert_error(
            await client.post(
                "/api/v1/auth/login", json={"username": "operator-1", "password": "nope-nope-nope"}
            ),
            401,
        )
        unknown = assert_error(
            await client.post(
                "/api/v1/auth/login", json={"username": "nobody-here", "password": "nope-nope-nope"}
            ),
            401,
        )
        assert wrong == unknown and wrong["message_zh"] == "用户名或密码错误"


async def test_state_changing_requests_need_the_csrf_header(stack: RealStack) -> None:
    async with signed_in(stack.gateway, "sh-official-1") as official:
        token = official.headers.pop("X-CSRF-Token")
        missing = await official.post("/api/v1/official/presence", json={"presence": "available"})
        assert assert_error(missing, 403)["code"] == "csrf"
        wrong = await official.post(
            "/api/v1/official/presence",
            json={"presence": "available"},
            headers={"X-CSRF-Token": token[:-1] + "x"},
        )
        assert assert_error(wrong, 403)["code"] == "csrf"
        assert (await official.get("/api/v1/official/me")).status_code == 200  # reads need none
        right = await official.post(
            "/api/v1/official/presence",
            json={"presence": "away", "reason": "break"},
            headers={"X-CSRF-Token": token},
        )
        assert right.status_code == 200, right.text
        assert right.json()["official"]["presence"] == "away"
        assert right.json()["official"]["away_reason"] == "break"
        out = await official.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token})
        assert out.status_code == 200
        assert_error(await official.get("/api/v1/official/me"), 401)


async def test_development_credentials_are_stable_per_secret(stack: RealStack) -> None:
    rows = dev_credentials(SECRET)
    assert rows == dev_credentials(SECRET) and rows != dev_credentials("another secret")
    roles = {(r[2], r[3]) for r in rows}
    assert {
        ("official", "310000"),
        ("official", "340000"),
        ("operator", ""),
        ("admin", ""),
        ("kiosk", "340000"),
    } <= roles
    assert await seed_dev_accounts(stack.gateway.settings.database_url, SECRET) == rows  # idempotent
    async with signed_in(stack.gateway, "admin-1"):
        pass


async def test_an_admin_creates_accounts_and_kiosk_keys(stack: RealStack) -> None:
    async with signed_in(stack.gateway, "admin-1") as admin:
        weak = await admin.post(
            "/api/v1/admin/accounts",
            json={"username": "sh-official-9", "password": "short", "role": "official", "province": "310000"},
        )
        assert assert_error(weak, 400)["fields"][0]["field"] == "password"
        account = {
            "username": "sh-official-9",
            "password": "a-long-enough-pass",
            "role": "official",
            "province": "310000",
            "department": "housing_fund",
        }
        created = await admin.post("/api/v1/admin/accounts", json=account)
        assert created.status_code == 201, created.text
        assert_error(await admin.post("/api/v1/admin/accounts", json=account), 409)
        names = [a["username"] for a in (await admin.get("/api/v1/admin/accounts")).json()["accounts"]]
        assert "sh-official-9" in names
        device = await admin.post("/api/v1/admin/devices", json={"hall_id": "hall-340104-01"})
        assert device.status_code == 201, device.text
        assert_error(await admin.post("/api/v1/admin/devices", json={"hall_id": "nope"}), 400)
    async with stack.gateway.client() as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": "sh-official-9", "password": "a-long-enough-pass"}
        )
        assert login.status_code == 200 and login.json()["stage"] == "password"  # theirs to choose
        kiosk = await client.get(
            "/api/v1/kiosk/device", headers={"X-Device-Key": device.json()["device_key"]}
        )
        assert kiosk.status_code == 200


async def test_failed_sign_ins_slow_the_address_not_the_account(limited: RunningGateway) -> None:
    async with limited.client("127.0.0.3") as client:
        for _ in range(3):
            assert_error(
                await client.post(
                    "/api/v1/auth/login", json={"username": "ah-official-1", "password": "guess-guess"}
                ),
                401,
            )
        refused = await client.post(
            "/api/v1/auth/login", json={"username": "ah-official-1", "password": password("ah-official-1")}
        )
        error = assert_error(refused, 429)
        assert error["code"] == "too_many_attempts" and "秒后再试" in error["message_zh"]
        assert int(refused.headers["retry-after"]) == 1  # the first wait; it doubles after each miss
    async with limited.client("127.0.0.4") as elsewhere:  # the official, at their own desk
        reply = await elsewhere.post(
            "/api/v1/auth/login", json={"username": "ah-official-1", "password": password("ah-official-1")}
        )
        assert reply.status_code == 200, reply.text


async def test_failed_sign_ins_are_limited_per_address(limited: RunningGateway) -> None:
    async with limited.client("127.0.0.5") as client:
        statuses = [
            (
                await client.post(
                    "/api/v1/auth/login", json={"username": f"guess-{i}", "password": "guess-guess"}
                )
            ).status_code
            for i in range(6)
        ]
        assert statuses == [401] * 5 + [429]
        other = await client.post(
            "/api/v1/auth/login", json={"username": "operator-1", "password": password("operator-1")}
        )
        assert_error(other, 429)


async def test_consoles_get_a_fresh_turn_credential_only_when_signed_in(
    stack: RealStack, province: str
) -> None:
    import base64
    import hashlib
    import hmac

    turn_url = "turn:turn.test:3478?transport=udp"
    gateway = await start_gateway(
        stack.settings(
            ice_servers=["stun:turn.test:3478", turn_url],
            turn_secret="shared-with-turn",
            turn_ttl_s=600,
            live_events=False,
            seed_dev_accounts=False,
        )
    )

    def check(servers: list[dict[str, str]], who: str) -> None:
        stun, relay = servers
        assert stun == {"urls": "stun:turn.test:3478"} and relay["urls"] == turn_url
        expiry, name = relay["username"].split(":")
        assert name == who and 0 < int(expiry) - time.time() <= 600
        expected = hmac.new(b"shared-with-turn", relay["username"].encode(), hashlib.sha1)
        assert base64.b64decode(relay["credential"]) == expected.digest()

    try:
        async with gateway.client() as anonymous:
            servers = (await anonymous.get("/api/v1/config")).json()["ice_servers"]
            assert servers == [{"urls": "stun:turn.test:3478"}, {"urls": turn_url}]
            kiosk = await anonymous.get("/api/v1/config", headers={"X-Device-Key": KIOSK_KEY})
            check(kiosk.json()["ice_servers"], "hall-340104-01")
            case_id, token = await kiosk_case(anonymous, province)
            applicant = await anonymous.get("/api/v1/config", headers=bearer(token))
            check(applicant.json()["ice_servers"], "hall-340104-01")  # through its kiosk
            alone = await anonymous.get("/api/v1/config", headers={"Authorization": f"Bearer {token}"})
            assert alone.json()["ice_servers"][1] == {"urls": turn_url}  # a token alone is nobody
        async with signed_in(gateway, "operator-1") as operator:
            check((await operator.get("/api/v1/config")).json()["ice_servers"], "operator-1")
    finally:
        await gateway.stop()
