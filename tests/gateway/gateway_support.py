"""Helpers of the gateway tests: the real stack (intake, routing, window and results as their
own processes, exactly as `make dev` runs them, against the suite's Kafka and PostgreSQL),
a gateway served by uvicorn on a free port with its own database, signed-in clients, and
the steps a test needs to bring a case where it wants it (created, submitted, offered,
assigned) through the gateway's own API."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import httpx
import uvicorn

from bench.stack import ServiceAddress, services
from gateway import totp
from gateway.app import server_config
from gateway.config import GatewaySettings
from gateway.context import Gateway
from gateway.seed import dev_credentials, dev_totp_key
from services.shared import topics
from services.shared.migrations import with_database
from tests.engines import drop_namespace, new_namespace
from tests.support import eventually
from tools.engines import free_port

SECRET = "gateway-test-secret"
CREDENTIALS = {row[0]: row for row in dev_credentials(SECRET)}
KIOSK_KEY = CREDENTIALS["hall-340104-01"][1]  # the Hefei hall
KIOSK_PROVINCE = "340000"  # Anhui, the Hefei hall's
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200_000)
PDF = b"%PDF-1.4\n" + bytes(2048)
MATTER = "HF-TRANSFER"  # housing fund: key materials id_card, form, new_account
MATERIALS = (("id_card", JPEG), ("form", PDF), ("new_account", JPEG))
OFFICIAL_PASSWORD = "gateway-test-password-1"


def password(username: str) -> str:
    return str(CREDENTIALS[username][1])


@dataclass
class RunningGateway:
    url: str
    settings: GatewaySettings
    server: uvicorn.Server
    task: asyncio.Task[None]

    @property
    def state(self) -> Gateway:
        state: Gateway = self.server.config.app.state.gateway
        return state

    def client(self, source: str | None = None) -> httpx.AsyncClient:
        """`source`: another loopback address (127.0.0.x) to appear as another client."""
        transport = httpx.AsyncHTTPTransport(local_address=source) if source else None
        return httpx.AsyncClient(base_url=self.url, timeout=30, transport=transport)

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def start_gateway(settings: GatewaySettings) -> RunningGateway:
    port = free_port()
    server = uvicorn.Server(server_config(settings, "127.0.0.1", port, lifespan="on"))
    task = asyncio.create_task(server.serve())
    for _ in range(1200):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    if not server.started:
        server.should_exit = True
        await task
        raise RuntimeError("the gateway did not start")
    return RunningGateway(f"http://127.0.0.1:{port}", settings, server, task)


async def new_database(postgres_url: str) -> str:
    name = "gw_" + uuid.uuid4().hex[:12]
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return with_database(postgres_url, name)


async def drop_database(postgres_url: str, url: str) -> None:
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()


@dataclass
class RealStack:
    """The four services as processes and a gateway in front of them."""

    gateway: RunningGateway
    services: dict[str, ServiceAddress]
    kafka_bootstrap: str
    postgres_url: str
    catalog: topics.Catalog  # the stack's topics, in its namespace

    def settings(self, **overrides: Any) -> GatewaySettings:
        """Settings of another gateway in front of the same services."""
        return dataclasses.replace(self.gateway.settings, **overrides)


@contextlib.asynccontextmanager
async def real_stack(kafka_bootstrap: str, postgres_url: str) -> AsyncIterator[RealStack]:
    """The four services as processes and a gateway, in a topic namespace of their own."""
    catalog = await asyncio.to_thread(new_namespace, kafka_bootstrap)
    database_url = await new_database(postgres_url)
    processes = contextlib.ExitStack()
    # on a thread: starting the processes blocks, and this loop serves the tests
    started = services(
        kafka_bootstrap,
        postgres_url,
        catalog.namespace,
        wrap_up_s="0.5",
        reservation_timeout_s="120",
        stats_interval_s="1",
    )
    addresses = await asyncio.to_thread(processes.enter_context, started)
    try:
        settings = GatewaySettings(
            database_url=database_url,
            kafka_bootstrap=kafka_bootstrap,
            topic_namespace=catalog.namespace,
            session_secret=SECRET,
            environment="dev",
            seed_dev_accounts=True,
            # the suite signs in, applies and checks certificates far more often than people
            login_free_failures=1000,
            login_address_free_failures=1000,
            kiosk_applications_per_minute=100_000,
            verify_per_minute=100_000,
            grpc_timeout_s=15.0,
            **{f"{name}_addr": str(address) for name, address in addresses.items()},
        )
        gateway = await start_gateway(settings)
        try:
            consumer = gateway.state.consumer
            assert consumer is not None
            await asyncio.wait_for(consumer.ready.wait(), 60)
            yield RealStack(gateway, addresses, kafka_bootstrap, postgres_url, catalog)
        finally:
            await gateway.stop()
            await drop_database(postgres_url, database_url)
    finally:
        await asyncio.to_thread(processes.close)
        await asyncio.to_thread(drop_namespace, kafka_bootstrap, catalog)


# ---------------------------------------------------------------- clients and steps


class Socket:
    """A WebSocket client collecting every JSON message it receives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(message.data))

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == type_]

    def first(self, type_: str) -> dict[str, Any] | None:
        return next(iter(self.of_type(type_)), None)


def bearer(token: str, key: str = "") -> dict[str, str]:
    """An applicant's headers: the token, and the key of the kiosk that created the case
    (the Hefei kiosk's, where the tests apply), without which a token opens nothing."""
    return {"Authorization": f"Bearer {token}", "X-Device-Key": key or KIOSK_KEY}


async def kiosk_socket(http: aiohttp.ClientSession, ws_url: str, token: str, key: str = "") -> Socket:
    """The kiosk's live socket to its case: the credentials go in the first message."""
    ws = await http.ws_connect(f"{ws_url}/ws/kiosk")
    await ws.send_json({"kind": "auth", "token": token, "device_key": key or KIOSK_KEY})
    return Socket(ws)


def kiosk_headers(key: str = KIOSK_KEY) -> dict[str, str]:
    return {"X-Device-Key": key}


# TOTP keys the tests enrolled, and the complete sessions of accounts with a second factor:
# a code is good once per 30-second step, so such accounts sign in once per stack and reuse
# the session (a test that needs a fresh sign-in uses sign_in below).
TOTP_KEYS: dict[tuple[str, str], bytes] = {}
SESSIONS: dict[tuple[str, str], tuple[dict[str, str], str]] = {}


def totp_key(gateway: RunningGateway, username: str) -> bytes | None:
    return TOTP_KEYS.get((gateway.settings.database_url, username)) or dev_totp_key(SECRET, username)


async def second_factor(client: httpx.AsyncClient, key: bytes) -> httpx.Response:
    """Sends the authenticator's code; if this step's code was used already (by another
    sign-in of the account), waits for the next step."""
    for _ in range(3):
        reply = await client.post("/api/v1/auth/second-factor", json={"code": totp.code(key)})
        if reply.status_code != 401:
            return reply
        await asyncio.sleep(totp.STEP_S - time.time() % totp.STEP_S + 0.2)
    return reply


async def sign_in(
    gateway: RunningGateway, client: httpx.AsyncClient, username: str, secret: str
) -> dict[str, Any]:
    """Signs `client` in through every step the gateway asks for (the second factor of a
    development or test-enrolled account, enrolling one); the last answer's body."""
    reply = await client.post("/api/v1/auth/login", json={"username": username, "password": secret})
    assert reply.status_code == 200, reply.text
    for _ in range(3):
        body: dict[str, Any] = reply.json()
        client.headers["X-CSRF-Token"] = body["csrf_token"]
        if body["stage"] == "second_factor":
            key = totp_key(gateway, username)
            assert key is not None, f"no TOTP key known for {username}"
            reply = await second_factor(client, key)
        elif body["stage"] == "enrol":
            enrolled = await client.post("/api/v1/auth/second-factor/enrol")
            assert enrolled.status_code == 200, enrolled.text
            secret_text = enrolled.json()["secret"].replace(" ", "")
            key = base64.b32decode(secret_text + "=" * (-len(secret_text) % 8))
            TOTP_KEYS[(gateway.settings.database_url, username)] = key
            reply = await client.post("/api/v1/auth/second-factor/confirm", json={"code": totp.code(key)})
        else:
            break
        assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["stage"] == "full", body
    client.headers["X-CSRF-Token"] = body["csrf_token"]
    return body


@contextlib.asynccontextmanager
async def signed_in(
    gateway: RunningGateway, username: str, secret: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding the account's session cookie and sending its CSRF token (a dev
    account's password unless `secret` is given)."""
    cached = (gateway.url, username)
    async with gateway.client() as client:
        if cached in SESSIONS:
            cookies, csrf = SESSIONS[cached]
            client.cookies.update(cookies)
            client.headers["X-CSRF-Token"] = csrf
            if (await client.get("/api/v1/auth/me")).status_code == 200:
                yield client
                return
            client.cookies.clear()
        await sign_in(gateway, client, username, secret or password(username))
        if totp_key(gateway, username) is not None:
            SESSIONS[cached] = (dict(client.cookies), client.headers["X-CSRF-Token"])
        yield client


async def new_staff(
    gateway: RunningGateway, role: str, province: str = "", department: str = "housing_fund"
) -> str:
    """A fresh account created by the admin; its username (password OFFICIAL_PASSWORD)."""
    username = f"{role[:4]}-{province or 'all'}-{uuid.uuid4().hex[:6]}"
    async with signed_in(gateway, "admin-1") as admin:
        reply = await admin.post(
            "/api/v1/admin/accounts",
            json={
                "username": username,
                "password": OFFICIAL_PASSWORD,
                "role": role,
                "province": province,
                "department": department if province else "",
                "display_name": f"test {role}",
                "must_change_password": False,
            },
        )
        assert reply.status_code == 201, reply.text
    return username


@contextlib.asynccontextmanager
async def staff(gateway: RunningGateway, role: str, province: str = "") -> AsyncIterator[httpx.AsyncClient]:
    username = await new_staff(gateway, role, province)
    async with signed_in(gateway, username, OFFICIAL_PASSWORD) as client:
        client.headers["X-Test-Username"] = username  # for the test's own bookkeeping
        yield client


def username_of(client: httpx.AsyncClient) -> str:
    return client.headers["X-Test-Username"]


async def kiosk_case(
    client: httpx.AsyncClient, province: str, matter: str = MATTER, **fields: Any
) -> tuple[str, str]:
    """(case id, applicant token) of an application made at the Hefei kiosk for `province`."""
    body = {
        "request_id": str(uuid.uuid4()),
        "applicant_name": "张三",
        "id_number": "11010519491231002X",
        "phone": "13812345678",
        "matter_code": matter,
        "target_province": province,
        **fields,
    }
    reply = await client.post("/api/v1/kiosk/applications", headers=kiosk_headers(), json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()["case_id"], reply.json()["applicant_token"]


async def upload(
    client: httpx.AsyncClient,
    case_id: str,
    token: str,
    code: str,
    data: bytes,
    source: str = "upload",
    key: str = "",
) -> httpx.Response:
    kind = "application/pdf" if data.startswith(b"%PDF") else "image/jpeg"
    return await client.post(
        f"/api/v1/kiosk/cases/{case_id}/materials",
        params={"material_code": code, "source": source},
        content=data,
        headers=bearer(token, key) | {"Content-Type": kind},
    )


async def submitted_case(client: httpx.AsyncClient, province: str) -> tuple[str, str]:
    """A case with its key materials, submitted: it waits in `province`'s queue."""
    case_id, token = await kiosk_case(client, province)
    for code, data in MATERIALS:
        reply = await upload(client, case_id, token, code, data)
        assert reply.status_code == 201, reply.text
    reply = await client.post(f"/api/v1/kiosk/cases/{case_id}/submit", headers=bearer(token))
    assert reply.status_code == 200, reply.text
    return case_id, token


async def offered(official: httpx.AsyncClient, case_id: str, timeout: float = 60) -> str:
    """Sets the official available and waits for the case's reservation; its id."""
    reply = await official.post("/api/v1/official/presence", json={"presence": "available"})
    assert reply.status_code == 200, reply.text

    async def reservation() -> str | None:
        me = (await official.get("/api/v1/official/me")).json()["official"] or {}
        if me.get("case_id") == case_id and me.get("reservation_id"):
            return str(me["reservation_id"])
        return None

    found: str = await eventually(reservation, timeout=timeout, interval=0.2)
    return found


async def assigned(official: httpx.AsyncClient, case_id: str) -> None:
    """The case offered to the official and accepted."""
    reservation = await offered(official, case_id)
    reply = await official.post(f"/api/v1/official/reservations/{reservation}/accept")
    assert reply.json() == {"case_id": case_id}, reply.text


async def raw_http(base_url: str, head: str, body: bytes = b"") -> tuple[int, dict[str, Any]]:
    """Sends a hand-written HTTP/1.1 request (e.g. a Content-Length no client would send
    with a short body); (status, JSON body)."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        raw_head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = raw_head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        payload = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 10)
        return int(lines[0].split()[1]), json.loads(payload)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def assert_error(reply: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """The uniform error body, with messages in both languages."""
    assert reply.status_code < 500 or status == reply.status_code, (reply.status_code, reply.text)
    if status is not None:
        assert reply.status_code == status, (reply.status_code, reply.text)
    error: dict[str, Any] = reply.json()["error"]
    assert error["code"] and error["message_zh"] and error["message_en"], error
    assert isinstance(error["fields"], list)
    return error
