"""Malformed requests against every REST endpoint of the gateway: bad JSON, unknown fields,
wrong types, oversized bodies, missing credentials, a missing CSRF token, nonsense in the
query and the path. None may be answered with a 500, and every error carries zh and en."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.gateway.gateway_support import (
    KIOSK_KEY,
    OFFICIAL_PASSWORD,
    RealStack,
    assert_error,
    assigned,
    bearer,
    new_staff,
    raw_http,
    sign_in,
    signed_in,
    staff,
    submitted_case,
)

MIB = 1024 * 1024
VALID: dict[str, dict[str, Any]] = {
    "LoginRequest": {"username": "nobody-at-all", "password": "wrong-password"},
    "CreateApplicationRequest": {
        "request_id": "r-1",
        "applicant_name": "张三",
        "id_number": "11010519491231002X",
        "phone": "13812345678",
        "matter_code": "HF-TRANSFER",
        "target_province": "310000",
    },
    "CancelRequest": {"reason": "applicant"},
    "JoinRequest": {"sdp": "v=0"},
    "ConfirmRequest": {"confirmed": True},
    "EvaluationRequest": {"level": 5, "tags": ["fast"]},
    "PresenceRequest": {"presence": "available"},
    "RejectRequest": {"reason": "busy"},
    "DecisionRequest": {"outcome": "approved"},
    "SummaryRequest": {"summary": "办理完成"},
    "CreateAccountRequest": {"username": "x-user", "password": "a-long-enough-pass", "role": "operator"},
    "CreateDeviceRequest": {"hall_id": "hall-340104-01"},
    "AccountStateRequest": {"disabled": False},
    "SecondFactorRequest": {"code": "000000"},
    "TotpConfirmRequest": {"code": "000000"},
    "PasswordChangeRequest": {"current_password": "not-the-password", "new_password": "another-password-2"},
}
# sign-in steps: a session at that stage answers them (a complete one gets 409)
STEPS = {
    "/api/v1/auth/second-factor": "second_factor",
    "/api/v1/auth/second-factor/enrol": "enrol",
    "/api/v1/auth/second-factor/confirm": "enrol",
}
STRICT_TYPES = {
    "EvaluationRequest": ("level", "5"),
    "ConfirmRequest": ("confirmed", "yes"),
    "CreateApplicationRequest": ("disability", 1),
}


@dataclass
class Endpoint:
    method: str
    path: str
    body: str | None  # the JSON body's schema name
    fields: list[str]
    audience: str  # public, device, applicant, staff, step

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every REST endpoint, from the application's own OpenAPI document."""
    schema = app.openapi()
    found = []
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        audience = (
            "step"
            if path in STEPS
            else "device"
            if path in ("/api/v1/kiosk/device", "/api/v1/kiosk/applications")
            else "applicant"
            if path.startswith("/api/v1/kiosk/cases")
            else "staff"
            if path.startswith(
                (
                    "/api/v1/official",
                    "/api/v1/operator",
                    "/api/v1/admin",
                    "/api/v1/auth/logout",
                    "/api/v1/auth/me",
                    "/api/v1/auth/password",
                )
            )
            else "public"
        )
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            body = ref.rsplit("/", 1)[-1] or None
            fields = list(schema["components"]["schemas"][body]["properties"]) if body else []
            found.append(Endpoint(method.upper(), path, body, fields, audience))
    return found


@dataclass
class Callers:
    case_id: str
    token: str
    official: httpx.AsyncClient
    operator: httpx.AsyncClient
    admin: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    steps: dict[str, httpx.AsyncClient]  # a session at each sign-in stage
    target: str  # an account the admin routes may change


@pytest.fixture(scope="module")
def gw(stack: RealStack) -> RealStack:
    return stack


@pytest.fixture(scope="module")
async def callers(stack: RealStack, provinces: Iterator[str]) -> AsyncIterator[Callers]:
    """An official holding a real case (so every official route reaches the services with a
    case the official may act on), an operator, an admin and an anonymous client."""
    province = next(provinces)
    async with contextlib.AsyncExitStack() as clients:
        anonymous = await clients.enter_async_context(stack.gateway.client())
        official = await clients.enter_async_context(staff(stack.gateway, "official", province))
        operator = await clients.enter_async_context(staff(stack.gateway, "operator"))
        admin = await clients.enter_async_context(signed_in(stack.gateway, "admin-1"))
        steps = {}
        for stage, role in (("enrol", "admin"), ("second_factor", "supervisor")):
            username = await new_staff(stack.gateway, role, "310000" if role == "supervisor" else "")
            client = await clients.enter_async_context(stack.gateway.client())
            if stage == "second_factor":  # enrolled first, then signed in again
                await sign_in(stack.gateway, client, username, OFFICIAL_PASSWORD)
                client.cookies.clear()
            login = await client.post(
                "/api/v1/auth/login", json={"username": username, "password": OFFICIAL_PASSWORD}
            )
            assert login.json()["stage"] == stage, login.text
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            steps[stage] = client
        target = await new_staff(stack.gateway, "operator")
        case_id, token = await submitted_case(anonymous, province)
        await assigned(official, case_id)
        yield Callers(case_id, token, official, operator, admin, anonymous, steps, target)


def caller_for(endpoint: Endpoint, callers: Callers) -> tuple[httpx.AsyncClient, dict[str, str]]:
    if endpoint.audience == "step":
        return callers.steps[STEPS[endpoint.path]], {}
    if endpoint.audience == "device":
        return callers.anonymous, {"X-Device-Key": KIOSK_KEY}
    if endpoint.audience == "applicant":
        return callers.anonymous, bearer(callers.token)
    if endpoint.path.startswith("/api/v1/official"):
        return callers.official, {}
    if endpoint.path.startswith("/api/v1/admin"):
        return callers.admin, {}
    if endpoint.audience == "staff":
        return callers.operator, {}
    return callers.anonymous, {}


def url_of(endpoint: Endpoint, callers: Callers, case_id: str | None = None) -> str:
    return (
        endpoint.path.replace("{case_id}", case_id or callers.case_id)
        .replace("{reservation_id}", "r-1")
        .replace("{material_id}", "m-1")
        .replace("{code}", "HF-TRANSFER")
        .replace("{username}", callers.target)
        .replace("{device_id}", "00000000-0000-0000-0000-000000000000")
    )


def test_the_table_covers_every_endpoint(gw: RealStack) -> None:
    found = endpoints(gw.gateway.server.config.app)
    assert len(found) >= 40
    assert {e.audience for e in found} == {"public", "device", "applicant", "staff", "step"}


async def test_malformed_bodies_get_400_in_both_languages(gw: RealStack, callers: Callers) -> None:
    checked = 0
    for endpoint in endpoints(gw.gateway.server.config.app):
        if endpoint.body is None:
            continue
        client, auth = caller_for(endpoint, callers)
        url = url_of(endpoint, callers)
        valid = VALID[endpoint.body]
        json_headers = auth | {"Content-Type": "application/json"}
        cases: list[tuple[str, bytes, dict[str, str]]] = [
            ("bad json", b'{"a": ', json_headers),
            ("not an object", b"[1, 2]", json_headers),
            ("empty", b"", json_headers),
            ("text/plain", b"hello", auth | {"Content-Type": "text/plain"}),
            ("null", b"null", json_headers),
        ]
        for label, content, headers in cases:
            reply = await client.request(endpoint.method, url, content=content, headers=headers)
            error = assert_error(reply, 400)
            assert reply.status_code == 400, (str(endpoint), label)
            checked += 1
            assert error["code"] in ("bad_json", "invalid_argument"), (str(endpoint), label)
        unknown = await client.request(endpoint.method, url, json=valid | {"zz_unknown": 1}, headers=auth)
        assert [f["field"] for f in assert_error(unknown, 400)["fields"]] == ["zz_unknown"], str(endpoint)
        for field in endpoint.fields:
            wrong = await client.request(
                endpoint.method, url, json=valid | {field: {"nested": [1]}}, headers=auth
            )
            fields = [f["field"] for f in assert_error(wrong, 400)["fields"]]
            assert any(f == field or f.startswith(field + ".") for f in fields), (str(endpoint), field)
            checked += 1
        if endpoint.body in STRICT_TYPES:
            field, value = STRICT_TYPES[endpoint.body]
            coerced = await client.request(endpoint.method, url, json=valid | {field: value}, headers=auth)
            assert_error(coerced, 400)
    assert checked > 50


async def test_oversized_bodies_get_413_everywhere(gw: RealStack, callers: Callers) -> None:
    for endpoint in endpoints(gw.gateway.server.config.app):
        client, auth = caller_for(endpoint, callers)
        limit = 21 * MIB if endpoint.path.endswith("/materials") else MIB
        reply = await client.request(
            endpoint.method,
            url_of(endpoint, callers),
            content=b" " * (limit + 1),
            headers=auth | {"Content-Type": "application/json"},
        )
        assert reply.status_code == 413, str(endpoint)
        assert_error(reply, 413)


async def test_missing_or_wrong_credentials_get_401(gw: RealStack, callers: Callers) -> None:
    wrong = {
        "device": {"X-Device-Key": "dk-nope"},
        "applicant": {"Authorization": "Bearer x.y", "X-Device-Key": KIOSK_KEY},
        "staff": {"Cookie": "tongban_session=forged"},
        "step": {"Cookie": "tongban_session=forged"},
    }
    for endpoint in endpoints(gw.gateway.server.config.app):
        if endpoint.audience == "public":
            continue
        body = VALID[endpoint.body] if endpoint.body else None
        url = url_of(endpoint, callers)
        async with gw.gateway.client() as stranger:
            for headers in ({}, wrong[endpoint.audience]):
                reply = await stranger.request(endpoint.method, url, json=body, headers=headers)
                assert reply.status_code == 401, (str(endpoint), headers, reply.text)
                assert_error(reply, 401)


async def test_state_changes_without_the_csrf_token_get_403(gw: RealStack, callers: Callers) -> None:
    checked = 0
    for endpoint in endpoints(gw.gateway.server.config.app):
        if endpoint.audience not in ("staff", "step") or endpoint.method == "GET":
            continue
        client, _ = caller_for(endpoint, callers)
        body = VALID[endpoint.body] if endpoint.body else None
        for token in ("", "not-the-token"):
            reply = await client.request(
                endpoint.method, url_of(endpoint, callers), json=body, headers={"X-CSRF-Token": token}
            )
            assert assert_error(reply, 403)["code"] == "csrf", str(endpoint)
            checked += 1
    assert checked >= 20


async def test_nonsense_in_query_and_path_is_never_a_500(gw: RealStack, callers: Callers) -> None:
    junk_query = {
        "province": "abc",
        "limit": "many",
        "seconds": "-1",
        "q": "x" * 500,
        "material_code": "",
        "source": "fax",
        "status": "\x00",
        "page_token": "%",
    }
    # signing out last: the operator's session serves the other staff endpoints first
    for endpoint in sorted(
        endpoints(gw.gateway.server.config.app), key=lambda e: e.path == "/api/v1/auth/logout"
    ):
        client, auth = caller_for(endpoint, callers)
        body = VALID[endpoint.body] if endpoint.body else None
        for case_id in ("not-a-uuid", "../../etc/passwd", "0" * 36):
            reply = await client.request(
                endpoint.method,
                url_of(endpoint, callers, case_id),
                params=junk_query,
                json=body,
                headers=auth,
            )
            assert reply.status_code < 500, (str(endpoint), case_id, reply.text)
            if reply.status_code >= 400:
                assert_error(reply)
    async with gw.gateway.client() as client:
        assert_error(await client.get("/api/v1/nowhere"), 404)
        assert_error(await client.delete("/api/v1/matters"), 405)
    # a body longer than its declared Content-Length is refused before anything reads it
    status, body = await raw_http(
        gw.gateway.url, f"POST /api/v1/auth/login HTTP/1.1\nHost: gateway\nContent-Length: {2 * MIB}\n", b"{}"
    )
    assert status == 413 and body["error"]["message_zh"] and body["error"]["message_en"]
