"""The gateway's pure pieces: scrypt hashing, applicant tokens, the login limiter, the
streaming multipart parser, enum conversion, masking and the live filters."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import grpc
import pytest

from gateway import passwords, tokens
from gateway.access import masked
from gateway.convert import enum_name, to_json
from gateway.errors import from_rpc, validation_error
from gateway.live import Figures, LiveEvent, operator_filter
from gateway.multipart import MultipartError, boundary_of, file_part, rechunk
from gateway.ratelimit import SlidingWindow
from tongban.results.v1 import results_pb2
from tongban.types.v1 import types_pb2


def test_scrypt_hashes_are_salted_parameterised_and_verify() -> None:
    first = passwords.hash_password("correct horse battery")
    second = passwords.hash_password("correct horse battery")
    assert first != second  # a random salt each time
    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert passwords.verify_password("correct horse battery", first)
    assert not passwords.verify_password("correct horse batterz", first)
    for broken in ("", "scrypt$1$2", "bcrypt$x$y$z$a$b", "scrypt$16384$8$1$!!$!!"):
        assert not passwords.verify_password("anything", broken)
    import base64

    expected = hashlib.scrypt(
        b"correct horse battery",
        salt=base64.b64decode(salt),
        n=2**14,
        r=8,
        p=1,
        maxmem=64 * 1024 * 1024,
        dklen=32,
    )
    assert base64.b64decode(key) == expected
    assert passwords.weakness("short") is not None and passwords.weakness("aaaaaaaaaaaa")
    assert passwords.weakness("a-long-enough-pass") is None


def test_applicant_tokens_open_one_case_until_they_expire() -> None:
    secret = b"s" * 32
    token = tokens.issue(secret, "case-1", "hall-1", ttl_s=60, now=1000)
    grant = tokens.check(secret, token, now=1030)
    assert (grant.case_id, grant.hall_id, grant.expires) == ("case-1", "hall-1", 1060)
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.check(secret, token, now=1061)
    with pytest.raises(tokens.TokenError, match="forged"):
        tokens.check(b"t" * 32, token, now=1030)
    body, mac = token.split(".")
    other = tokens.issue(secret, "case-2", "hall-1", ttl_s=60, now=1000).split(".")[0]
    with pytest.raises(tokens.TokenError):
        tokens.check(secret, f"{other}.{mac}", now=1030)
    for junk in ("", "abc", "a.b.c", "!!.!!"):
        with pytest.raises(tokens.TokenError):
            tokens.check(secret, junk, now=1030)


def test_the_limiter_counts_within_its_window() -> None:
    now = [0.0]
    limiter = SlidingWindow(3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("user:a", "addr:x") == 0
        limiter.hit("user:a", "addr:x")
        now[0] += 1
    assert limiter.retry_after("user:a") == pytest.approx(57)
    assert limiter.retry_after("user:b", "addr:x") == pytest.approx(57)
    assert limiter.retry_after("user:b", "addr:y") == 0
    now[0] = 60.5
    assert limiter.retry_after("user:a") == 0


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def _collect(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


@pytest.mark.parametrize("size", [1, 7, 38, 39, 40, 1000])
async def test_multipart_file_survives_any_chunking(size: int) -> None:
    payload = b"\xff\xd8" + bytes(range(256)) * 3 + b"\r\n--almost"
    body = (
        b'preamble\r\n--XyZ\r\nContent-Disposition: form-data; name="code"\r\n\r\nid_card'
        b'\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a b.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + payload + b"\r\n--XyZ--\r\n"
    )
    name, stream = await file_part(_chunks(body, size), b"XyZ")
    assert name == "a b.jpg"
    assert await _collect(stream) == payload


async def test_multipart_errors_say_what_is_wrong() -> None:
    assert boundary_of('multipart/form-data; boundary="a;b"') == b"a"
    with pytest.raises(MultipartError):
        boundary_of("multipart/form-data")
    only_field = b'--B\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--B--\r\n'
    with pytest.raises(MultipartError, match="no file"):
        await file_part(_chunks(only_field, 5), b"B")
    truncated = b'--B\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nabc'
    _, stream = await file_part(_chunks(truncated, 4), b"B")
    with pytest.raises(MultipartError, match="truncated"):
        await _collect(stream)
    with pytest.raises(MultipartError):
        await file_part(_chunks(b"no boundary at all" * 2000, 100), b"B")


async def test_rechunk_makes_fixed_size_messages() -> None:
    sizes = [len(c) async for c in rechunk(_chunks(bytes(200_000), 7_000), 65_536)]
    assert sizes == [65_536, 65_536, 65_536, 3_392]


def test_enums_become_short_words_and_back() -> None:
    case = results_pb2.Case(
        case_id="c",
        outcome=types_pb2.DECISION_OUTCOME_SUPPLEMENT_REQUESTED,
        delivery_method=types_pb2.DELIVERY_METHOD_HALL_PRINT,
    )
    data = to_json(case)
    assert data["outcome"] == "supplement_requested" and data["delivery_method"] == "hall_print"
    assert enum_name(types_pb2.DeliveryMethod.DESCRIPTOR, "e_certificate") == "DELIVERY_METHOD_E_CERTIFICATE"
    assert enum_name(types_pb2.Presence.DESCRIPTOR, None) is None
    with pytest.raises(KeyError):
        enum_name(types_pb2.Presence.DESCRIPTOR, "asleep")


def test_masking_is_applied_to_every_applicant_block() -> None:
    data = {
        "case": {
            "applicant": {
                "name": "张三丰",
                "id_number": "34010419900101123X",
                "phone": "13812345678",
                "pseudonym": "abc",
            }
        },
        "events": [{"data": {"applicant": {"name": "Li Wei"}}}],
    }
    out = masked(data)
    assert out["case"]["applicant"] == {
        "name": "张**",
        "id_number": "340104********123X",
        "phone": "138****5678",
        "pseudonym": "abc",
    }
    assert out["events"][0]["data"]["applicant"]["name"] == "L* W**"
    assert masked(out) == out  # idempotent


def test_validation_and_rpc_errors_speak_both_languages() -> None:
    error = validation_error(
        [{"type": "extra_forbidden", "loc": ("body", "hall_id"), "msg": "Extra inputs are not permitted"}]
    )
    assert error.status == 400 and error.fields[0].field == "hall_id"
    assert "不允许的字段" in error.message_zh and "Extra inputs" in error.message_en
    assert validation_error([{"type": "json_invalid", "loc": ("body", 3)}]).code == "bad_json"

    class Unavailable(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.DEADLINE_EXCEEDED

        def details(self) -> str:
            return "deadline"

    mapped = from_rpc(Unavailable(), "window")
    assert mapped.status == 503 and "window" in mapped.message_en and "视频窗口服务" in mapped.message_zh


def _event(type_: str, **data: object) -> LiveEvent:
    return LiveEvent(
        "id",
        type_,
        "routing",
        "2026-01-01T00:00:00Z",
        "tongban.routing",
        "310000",
        str(data.get("case_id", "")),
        dict(data),
    )


def test_operator_filters_and_live_figures() -> None:
    queued = _event("CaseQueued", case_id="c1", province="310000")
    created = LiveEvent(
        "id2",
        "ApplicationCreated",
        "intake",
        "t",
        "tongban.application",
        "c2",
        "c2",
        {"case_id": "c2", "hall_province": "340000", "target_province": "310000"},
    )
    assert operator_filter("queued")(queued) and not operator_filter("queued")(created)
    assert operator_filter(province="340000")(created) and not operator_filter(province="340000")(queued)
    assert operator_filter(province="310000")(queued)  # the routing key is the province
    assert operator_filter(case="c2")(created) and not operator_filter(case="c2")(queued)
    assert operator_filter("tongban.application")(created)
    now = [1000.0]
    figures = Figures(clock=lambda: now[0])
    for _ in range(30):
        figures.count(queued)
    figures.count(_event("QueueSlaBreached", case_id="c1", province="310000", waited_seconds=200.0))
    figures.count(_event("EvaluationSubmitted", case_id="c1", level=2))
    now[0] = 1001.0
    snapshot = figures.snapshot(seconds=10)
    assert snapshot["series"]["tongban.routing"][-1] == 32
    assert snapshot["events_per_second"]["tongban.routing"] == 3.2
    assert snapshot["sla_breaches"][0]["waited_seconds"] == 200.0
    assert snapshot["ratings"]["2"] == 1 and snapshot["satisfaction_rate"] == 0.0
