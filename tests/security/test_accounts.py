"""Finding 6: accounts had no production path, and dev seeding undid what admins did.

- The first administrator comes from `python -m gateway.bootstrap`, once: a second run
  changes nothing; at the first sign-in that administrator enrols a second factor and
  chooses a password before anything else answers.
- Administrators disable accounts (sessions and sockets end at once), reset passwords (a
  temporary one, to be changed at the next sign-in) and revoke kiosk keys (the kiosk, the
  applicant tokens it handed out and its open socket stop working at once).
- Seeding refuses to run outside dev, logs no password, and never re-enables an account or
  brings back a revoked key when the gateway starts again.
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from gateway import totp
from gateway.accounts import Store
from gateway.seed import NotDevelopment, seed_into
from gateway.sessionkey import secret_bytes
from services.shared.settings import SettingsError, load
from tests.gateway.gateway_support import (
    CREDENTIALS,
    KIOSK_KEY,
    OFFICIAL_PASSWORD,
    SECRET,
    RealStack,
    Socket,
    assert_error,
    bearer,
    drop_database,
    kiosk_socket,
    new_database,
    new_staff,
    sign_in,
    signed_in,
    start_gateway,
)
from tests.support import eventually

ROOT = Path(__file__).resolve().parents[2]


def gateway_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    env.update({f"TONGBAN_{k.upper()}": v for k, v in values.items()})
    return env


@pytest.fixture
async def own_database(stack: RealStack) -> AsyncIterator[str]:
    """A gateway database of this test's own (accounts changed here touch no other test)."""
    url = await new_database(stack.postgres_url)
    yield url
    await drop_database(stack.postgres_url, url)


# ------------------------------------------------------------------ seeding


def test_seeding_is_refused_outside_dev() -> None:
    from gateway.config import GatewaySettings

    with pytest.raises(SettingsError, match="TONGBAN_ENVIRONMENT=dev"):
        load(GatewaySettings, {"TONGBAN_SEED_DEV_ACCOUNTS": "true"})  # production by default
    assert load(GatewaySettings, {"TONGBAN_SEED_DEV_ACCOUNTS": "true", "TONGBAN_ENVIRONMENT": "dev"}).dev
    started = subprocess.run(
        [sys.executable, "-m", "gateway"],
        cwd=ROOT,
        env=gateway_env(seed_dev_accounts="true", http_listen="127.0.0.1:1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2 and "TONGBAN_ENVIRONMENT=dev" in started.stderr


async def test_seed_into_refuses_a_production_database(own_database: str) -> None:
    store = await Store.open(own_database, size=1)
    try:
        with pytest.raises(NotDevelopment):
            await seed_into(store, SECRET, "production", totp.Sealer.from_secret(secret_bytes(SECRET)))
        assert await store.accounts(include_disabled=True) == []
    finally:
        await store.close()


async def test_seeding_again_undoes_nothing_and_logs_no_password(
    stack: RealStack, own_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = stack.settings(
        database_url=own_database, live_events=False, device_keys=["hall-340104-01:dk-configured-key-1"]
    )
    first = await start_gateway(settings)
    try:
        async with signed_in(first, "admin-1") as admin:
            devices = (await admin.get("/api/v1/admin/devices")).json()["devices"]
            assert {d["hall_id"] for d in devices} >= {"hall-340104-01", "hall-310101-01"}
            for device in devices:
                if device["hall_id"] == "hall-340104-01":  # the seeded key and the configured one
                    revoked = await admin.post(f"/api/v1/admin/devices/{device['id']}/revoke")
                    assert revoked.status_code == 200 and revoked.json()["device"]["revoked"]
            disabled = await admin.post("/api/v1/admin/accounts/sh-official-1/state", json={"disabled": True})
            assert disabled.json()["account"]["disabled"] is True
    finally:
        await first.stop()
    again = await start_gateway(settings)  # seeds at start, as every start of a dev stack does
    try:
        async with again.client() as client:
            login = await client.post(
                "/api/v1/auth/login",
                json={"username": "sh-official-1", "password": CREDENTIALS["sh-official-1"][1]},
            )
            assert_error(login, 401)
            for key in (KIOSK_KEY, "dk-configured-key-1"):
                assert_error(await client.get("/api/v1/kiosk/device", headers={"X-Device-Key": key}), 401)
            other = await client.get(
                "/api/v1/kiosk/device", headers={"X-Device-Key": CREDENTIALS["hall-310101-01"][1]}
            )
            assert other.status_code == 200  # seeded keys still work where nobody revoked them
    finally:
        await again.stop()
    secrets_seeded = [row[1] for row in CREDENTIALS.values()] + ["dk-configured-key-1"]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "development accounts seeded" in logged
    for secret in secrets_seeded:
        assert secret not in logged


# ------------------------------------------------------------------ bootstrap


def bootstrap(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.bootstrap", *args],
        cwd=ROOT,
        env=gateway_env(database_url=database_url, session_secret=SECRET),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_first_administrator_comes_from_bootstrap_once(stack: RealStack, own_database: str) -> None:
    made = bootstrap(own_database, "--username", "root-admin")
    assert made.returncode == 0, made.stderr
    temporary = made.stdout.split("temporary password (shown once): ")[1].split()[0]
    again = bootstrap(own_database, "--username", "second-admin")
    assert again.returncode == 1 and "exists already" in again.stderr
    gateway = await start_gateway(
        stack.settings(database_url=own_database, seed_dev_accounts=False, live_events=False)
    )
    try:
        async with gateway.client() as client:
            login = await client.post(
                "/api/v1/auth/login", json={"username": "root-admin", "password": temporary}
            )
            assert login.json()["stage"] == "enrol"
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            assert_error(await client.get("/api/v1/admin/accounts"), 401)  # nothing before the steps
            enrolled = await client.post("/api/v1/auth/second-factor/enrol")
            key = enrolled.json()["secret"].replace(" ", "")
            raw = base64.b32decode(key + "=" * (-len(key) % 8))
            confirmed = await client.post("/api/v1/auth/second-factor/confirm", json={"code": totp.code(raw)})
            assert confirmed.json()["stage"] == "password" and len(confirmed.json()["recovery_codes"]) == 10
            client.headers["X-CSRF-Token"] = confirmed.json()["csrf_token"]
            still = await client.get("/api/v1/admin/accounts")
            assert assert_error(still, 401)["code"] == "password_change_required"
            changed = await client.post(
                "/api/v1/auth/password",
                json={"current_password": temporary, "new_password": "a-root-password-1"},
            )
            assert changed.status_code == 200 and changed.json()["stage"] == "full", changed.text
            client.headers["X-CSRF-Token"] = changed.json()["csrf_token"]
            names = [a["username"] for a in (await client.get("/api/v1/admin/accounts")).json()["accounts"]]
            assert names == ["root-admin"]  # and no second administrator from the second run
    finally:
        await gateway.stop()


# ------------------------------------------------------------------ administration


def cookie(client: httpx.AsyncClient) -> dict[str, str]:
    return {"Cookie": f"tongban_session={client.cookies['tongban_session']}"}


async def closed_with(socket: Socket) -> int | None:
    await eventually(lambda: socket.ws.closed, timeout=30)
    return socket.ws.close_code


async def test_an_administrator_disables_an_account_and_its_socket_ends(stack: RealStack) -> None:
    gateway = stack.gateway
    ws_url = gateway.url.replace("http", "ws")
    username = await new_staff(gateway, "operator")
    async with (
        signed_in(gateway, "admin-1") as admin,
        gateway.client() as victim,
        aiohttp.ClientSession() as http,
    ):
        await sign_in(gateway, victim, username, OFFICIAL_PASSWORD)
        socket = Socket(await http.ws_connect(f"{ws_url}/ws/operator", headers=cookie(victim)))
        await eventually(lambda: socket.messages, timeout=10)
        off = await admin.post(f"/api/v1/admin/accounts/{username}/state", json={"disabled": True})
        assert off.status_code == 200, off.text
        assert await closed_with(socket) == 4401
        assert_error(await victim.get("/api/v1/operator/stats"), 401)
        login = await victim.post(
            "/api/v1/auth/login", json={"username": username, "password": OFFICIAL_PASSWORD}
        )
        assert_error(login, 401)
        listed = (await admin.get("/api/v1/admin/accounts", params={"include_disabled": "true"})).json()
        assert any(a["username"] == username and a["disabled"] for a in listed["accounts"])
        assert username not in [
            a["username"] for a in (await admin.get("/api/v1/admin/accounts")).json()["accounts"]
        ]
        on = await admin.post(f"/api/v1/admin/accounts/{username}/state", json={"disabled": False})
        assert on.status_code == 200
        again = await victim.post(
            "/api/v1/auth/login", json={"username": username, "password": OFFICIAL_PASSWORD}
        )
        assert again.status_code == 200
        assert_error(await admin.post("/api/v1/admin/accounts/admin-1/state", json={"disabled": True}), 409)


async def test_a_reset_password_must_be_changed_before_anything_else(stack: RealStack) -> None:
    gateway = stack.gateway
    username = await new_staff(gateway, "official", "340000")
    async with signed_in(gateway, "admin-1") as admin, gateway.client() as owner:
        await sign_in(gateway, owner, username, OFFICIAL_PASSWORD)
        reset = await admin.post(f"/api/v1/admin/accounts/{username}/password-reset")
        temporary = reset.json()["temporary_password"]
        assert_error(await owner.get("/api/v1/official/me"), 401)  # the old session ended
        old = await owner.post(
            "/api/v1/auth/login", json={"username": username, "password": OFFICIAL_PASSWORD}
        )
        assert_error(old, 401)
        login = await owner.post("/api/v1/auth/login", json={"username": username, "password": temporary})
        assert login.json()["stage"] == "password"
        owner.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        assert assert_error(await owner.get("/api/v1/official/me"), 401)["code"] == "password_change_required"
        weak = await owner.post(
            "/api/v1/auth/password", json={"current_password": temporary, "new_password": "short"}
        )
        assert assert_error(weak, 400)["fields"][0]["field"] == "new_password"
        done = await owner.post(
            "/api/v1/auth/password", json={"current_password": temporary, "new_password": "my-own-password-2"}
        )
        assert done.json()["stage"] == "full"
        owner.headers["X-CSRF-Token"] = done.json()["csrf_token"]
        assert (await owner.get("/api/v1/official/me")).status_code == 200
        actions = {
            e["action"]
            for e in (await admin.get("/api/v1/admin/audit", params={"actor": "admin-1"})).json()["entries"]
        }
        assert "password_reset" in actions


async def test_a_revoked_kiosk_key_stops_the_kiosk_its_tokens_and_its_socket(stack: RealStack) -> None:
    gateway = stack.gateway
    ws_url = gateway.url.replace("http", "ws")
    async with (
        signed_in(gateway, "admin-1") as admin,
        gateway.client() as kiosk,
        aiohttp.ClientSession() as http,
    ):
        issued = await admin.post(
            "/api/v1/admin/devices", json={"hall_id": "hall-340104-01", "label": "revoke me"}
        )
        key, device_id = issued.json()["device_key"], issued.json()["device"]["id"]
        created = await kiosk.post(
            "/api/v1/kiosk/applications",
            headers={"X-Device-Key": key},
            json={
                "request_id": "revoked-kiosk-1",
                "applicant_name": "张三",
                "id_number": "11010519491231002X",
                "phone": "13812345678",
                "matter_code": "HF-TRANSFER",
                "target_province": "310000",
            },
        )
        case_id, token = created.json()["case_id"], created.json()["applicant_token"]
        assert (
            await kiosk.get(f"/api/v1/kiosk/cases/{case_id}", headers=bearer(token, key))
        ).status_code == 200
        socket = await kiosk_socket(http, ws_url, token, key)
        await eventually(lambda: socket.messages, timeout=10)
        revoked = await admin.post(f"/api/v1/admin/devices/{device_id}/revoke")
        assert revoked.json()["device"]["revoked"] is True
        assert await closed_with(socket) == 4401
        assert_error(await kiosk.get("/api/v1/kiosk/device", headers={"X-Device-Key": key}), 401)
        assert_error(await kiosk.get(f"/api/v1/kiosk/cases/{case_id}", headers=bearer(token, key)), 401)
        listed = (await admin.get("/api/v1/admin/devices")).json()["devices"]
        assert next(d for d in listed if d["id"] == device_id)["revoked"] is True
        assert key not in str(listed)  # only hashes are kept


async def test_only_administrators_reach_the_admin_api(stack: RealStack) -> None:
    async with signed_in(stack.gateway, "operator-1") as operator:
        for method, path, body in (
            ("GET", "/api/v1/admin/accounts", None),
            ("POST", "/api/v1/admin/accounts/operator-1/state", {"disabled": True}),
            ("POST", "/api/v1/admin/accounts/admin-1/password-reset", {}),
            ("POST", "/api/v1/admin/accounts/admin-1/second-factor-reset", {}),
            ("GET", "/api/v1/admin/devices", None),
            ("GET", "/api/v1/admin/audit", None),
        ):
            reply = await operator.request(method, path, json=body)
            assert_error(reply, 403)
