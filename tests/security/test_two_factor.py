"""Finding 7: two factors for administrators and supervisors (graded protection level 3),
TOTP (RFC 6238) with recovery codes.

- A new administrator or supervisor reaches nothing (REST or WebSocket) until they have
  enrolled an authenticator and confirmed it with a code; then every sign-in asks for one.
- A code is good once; wrong codes slow down like wrong passwords; a recovery code works
  once; an administrator resets a lost authenticator and the account enrols again.
- Keys are kept sealed and recovery codes hashed: neither is in the database in clear.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import httpx
import pytest

from gateway import totp
from tests.gateway.gateway_support import (
    OFFICIAL_PASSWORD,
    RealStack,
    RunningGateway,
    assert_error,
    new_staff,
    signed_in,
    start_gateway,
)

LOGIN = "/api/v1/auth/login"


@pytest.fixture(scope="module")
async def limited(stack: RealStack) -> AsyncIterator[RunningGateway]:
    """The production allowance of three wrong codes before each further one waits."""
    gateway = await start_gateway(stack.settings(login_free_failures=3, live_events=False))
    yield gateway
    await gateway.stop()


async def password_step(client: httpx.AsyncClient, username: str) -> dict[str, object]:
    reply = await client.post(LOGIN, json={"username": username, "password": OFFICIAL_PASSWORD})
    assert reply.status_code == 200, reply.text
    body: dict[str, object] = reply.json()
    client.headers["X-CSRF-Token"] = str(body["csrf_token"])
    return body


async def enrol(client: httpx.AsyncClient) -> tuple[bytes, list[str], str]:
    """Enrols an authenticator on a session at the "enrol" stage; (key, recovery codes,
    the code that confirmed it)."""
    offered = (await client.post("/api/v1/auth/second-factor/enrol")).json()
    assert offered["uri"].startswith("otpauth://totp/Tongban:") and offered["qr_svg"].lstrip().startswith(
        "<?xml"
    )
    secret = offered["secret"].replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert_error(await client.post("/api/v1/auth/second-factor/confirm", json={"code": "000000"}), 401)
    confirming = totp.code(key)
    done = await client.post("/api/v1/auth/second-factor/confirm", json={"code": confirming})
    assert done.status_code == 200, done.text
    client.headers["X-CSRF-Token"] = done.json()["csrf_token"]
    assert done.json()["stage"] == "full"
    return key, done.json()["recovery_codes"], confirming


@pytest.mark.parametrize(("role", "province"), [("admin", ""), ("supervisor", "310000")])
async def test_nothing_answers_before_the_second_factor_is_enrolled(
    stack: RealStack, role: str, province: str
) -> None:
    username = await new_staff(stack.gateway, role, province)
    ws_url = stack.gateway.url.replace("http", "ws")
    async with stack.gateway.client() as client, aiohttp.ClientSession() as http:
        assert (await password_step(client, username))["stage"] == "enrol"
        for path in (
            "/api/v1/auth/me",
            "/api/v1/official/cases",
            "/api/v1/operator/stats",
            "/api/v1/admin/accounts",
        ):
            refused = assert_error(await client.get(path), 401)
            assert refused["code"] in {"second_factor_enrolment_required", "unauthenticated"}, path
        stream = "/ws/operator" if role == "admin" else "/ws/official"
        cookie = {"Cookie": f"tongban_session={client.cookies['tongban_session']}"}
        async with http.ws_connect(f"{ws_url}{stream}", headers=cookie) as ws:
            assert (await ws.receive_json(timeout=10))["kind"] == "error"
            await ws.receive(timeout=10)
            assert ws.close_code == 4401
        key, codes, _ = await enrol(client)
        assert len(codes) == 10 and len(set(codes)) == 10
        assert (await client.get("/api/v1/auth/me")).json()["user"]["username"] == username
    async with stack.gateway.client() as again:  # every later sign-in asks for a code
        assert (await password_step(again, username))["stage"] == "second_factor"
        assert_error(await again.get("/api/v1/auth/me"), 401)


async def test_codes_work_once_and_guessing_slows_down(limited: RunningGateway) -> None:
    username = await new_staff(limited, "admin")
    async with limited.client() as client:
        await password_step(client, username)
        key, codes, used = await enrol(client)
    async with limited.client("127.0.0.11") as guesser:
        await password_step(guesser, username)
        statuses = []
        for guess in ("000000", "111111", "222222", "333333"):
            statuses.append(
                (await guesser.post("/api/v1/auth/second-factor", json={"code": guess})).status_code
            )
        assert statuses == [401, 401, 401, 429]
    async with limited.client() as owner:
        await password_step(owner, username)
        replayed = await owner.post("/api/v1/auth/second-factor", json={"code": used})
        # the code confirmed the enrolment: seen over a shoulder, it opens nothing again
        assert assert_error(replayed, 401)["code"] == "bad_second_factor"
    async with limited.client("127.0.0.12") as owner:
        await password_step(owner, username)
        recovered = await owner.post("/api/v1/auth/second-factor", json={"recovery_code": codes[0].upper()})
        assert recovered.status_code == 200 and recovered.json()["recovery_codes_left"] == 9, recovered.text
    async with limited.client("127.0.0.13") as thief:
        await password_step(thief, username)
        again = await thief.post("/api/v1/auth/second-factor", json={"recovery_code": codes[0]})
        assert assert_error(again, 401)["code"] == "bad_second_factor"  # a recovery code works once


async def test_a_lost_authenticator_is_reset_by_an_administrator(stack: RealStack) -> None:
    username = await new_staff(stack.gateway, "supervisor", "310000")
    async with stack.gateway.client() as client:
        await password_step(client, username)
        key, _, _ = await enrol(client)
        async with signed_in(stack.gateway, "admin-1") as admin:
            reset = await admin.post(f"/api/v1/admin/accounts/{username}/second-factor-reset")
            assert reset.json() == {"username": username, "two_factor": False}
        assert_error(await client.get("/api/v1/official/cases"), 401)  # its session ended
    async with stack.gateway.client() as client:
        assert (await password_step(client, username))["stage"] == "enrol"
        new_key, _, _ = await enrol(client)
        assert new_key != key


async def test_keys_and_recovery_codes_are_not_kept_in_clear(stack: RealStack) -> None:
    username = await new_staff(stack.gateway, "admin")
    async with stack.gateway.client() as client:
        await password_step(client, username)
        key, codes, _ = await enrol(client)
    conn = await asyncpg.connect(stack.gateway.settings.database_url)
    try:
        sealed = await conn.fetchval("SELECT totp_secret FROM accounts WHERE username = $1", username)
        hashes = [
            r["code_hash"]
            for r in await conn.fetch("SELECT code_hash FROM recovery_codes WHERE username = $1", username)
        ]
    finally:
        await conn.close()
    assert sealed and key not in sealed and base64.b32encode(key) not in sealed
    assert len(hashes) == 10
    for code in codes:
        assert all(code not in h and code.replace("-", "") not in h for h in hashes)


async def test_officials_and_operators_sign_in_with_their_password(stack: RealStack) -> None:
    for role, province in (("official", "340000"), ("operator", "")):
        username = await new_staff(stack.gateway, role, province)
        async with stack.gateway.client() as client:
            assert (await password_step(client, username))["stage"] == "full"
