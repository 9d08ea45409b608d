"""The gateway's pure pieces: scrypt hashing, applicant tokens, the limiters, the
streaming multipart parser, enum conversion, masking and the live filters."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import grpc
import pytest

from gateway import passwords, tokens, totp
from gateway.access import for_applicant, masked
from gateway.convert import enum_name, to_json
from gateway.errors import from_rpc, validation_error
from gateway.live import Figures, LiveEvent, operator_filter
from gateway.multipart import MultipartError, boundary_of, file_part, rechunk
from gateway.ratelimit import GrowingDelay, SlidingWindow
from tongban.intake.v1 import intake_pb2
from tongban.results.v1 import results_pb2
from tongban.types.v1 import types_pb2


def test_scrypt_hashes_are_salted_parameterised_and_verify() -> None:
    first = passwords.hash_password("correct horse battery")
    second = passwords.hash_password("correct horse battery")
    assert first != second  # a random salt each time
    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**17), "8", "1")  # OWASP's scrypt guidance
    assert passwords.verify_password("correct horse battery", first)
    assert not passwords.verify_password("correct horse batterz", first)
    for broken in ("", "scrypt$1$2", "bcrypt$x$y$z$a$b", "scrypt$16384$8$1$!!$!!"):
        assert not passwords.verify_password("anything", broken)
    import base64

    expected = hashlib.scrypt(
        b"correct horse battery",
        salt=base64.b64decode(salt),
        n=2**17,
        r=8,
        p=1,
        maxmem=256 * 1024 * 1024,
        dklen=32,
    )
    assert base64.b64decode(key) == expected
    assert passwords.weakness("short") is not None and passwords.weakness("aaaaaaaaaaaa")
    assert passwords.weakness("a-long-enough-pass") is None
    old = passwords.hash_password("correct horse battery", n=2**14)
    assert passwords.verify_password("correct horse battery", old)  # older hashes still verify
    assert passwords.needs_rehash(old) and not passwords.needs_rehash(first)
    assert passwords.needs_rehash("bcrypt$x") and passwords.needs_rehash("")


def test_applicant_tokens_open_one_case_until_they_expire() -> None:
    secret = b"s" * 32
    token = tokens.issue(secret, "case-1", "hall-1", "device-1", ttl_s=60, now=1000)
    grant = tokens.check(secret, token, now=1030)
    assert (grant.case_id, grant.hall_id, grant.device_id, grant.expires) == (
        "case-1",
        "hall-1",
        "device-1",
        1060,
    )
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.check(secret, token, now=1061)
    with pytest.raises(tokens.TokenError, match="forged"):
        tokens.check(b"t" * 32, token, now=1030)
    body, mac = token.split(".")
    other = tokens.issue(secret, "case-2", "hall-1", "device-1", ttl_s=60, now=1000).split(".")[0]
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
        "id_number": "**************123X",  # people see the last four only
        "phone": "138****5678",
        "pseudonym": "abc",  # masked() masks; to_json and for_people drop it (test below)
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


def test_growing_delays_slow_the_one_who_fails_and_forget_after_success() -> None:
    now = [0.0]
    delays = GrowingDelay(3, 1.0, 60.0, forget_s=3600, clock=lambda: now[0])
    for _ in range(3):  # the free failures
        assert delays.wait("u|a") == 0
        delays.failed("u|a")
    assert delays.wait("u|a") == pytest.approx(1.0)
    assert delays.wait("u|b") == 0  # the same user elsewhere is not slowed
    assert delays.wait("v|a") == 0
    seen = []
    for _ in range(8):
        now[0] += delays.wait("u|a")
        delays.failed("u|a")
        seen.append(delays.wait("u|a"))
    assert seen == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]  # doubling, capped
    delays.succeeded("u|a")
    assert delays.wait("u|a") == 0 and delays.failures("u|a") == 0
    delays.failed("u|c")
    now[0] += 3601
    assert delays.failures("u|c") == 0  # forgotten after a quiet hour


def test_the_sliding_window_takes_only_what_it_allows() -> None:
    now = [0.0]
    window = SlidingWindow(2, window_s=60, clock=lambda: now[0])
    assert window.take("device:1") == 0 and window.take("device:1") == 0
    assert window.take("device:1") == pytest.approx(60)
    assert window.take("device:2") == 0
    now[0] = 61
    assert window.take("device:1") == 0


def test_applicants_never_see_who_handles_their_case() -> None:
    view = {
        "case": {"official_id": "sh-official-1", "status": "ASSIGNED"},
        "position": {"state": "assigned", "official_id": "sh-official-1"},
        "events": [{"data": {"official_id": "x", "display_name": "王芳", "summary": "ok"}}],
    }
    assert for_applicant(view) == {
        "case": {"status": "ASSIGNED"},
        "position": {"state": "assigned"},
        "events": [{"data": {"summary": "ok"}}],
    }


def test_every_json_view_drops_the_pseudonym() -> None:
    application = intake_pb2.Application(
        case_id="c",
        applicant=types_pb2.MaskedApplicant(
            name="张*", id_number="110105********002X", phone="138****5678", pseudonym="p" * 32
        ),
    )
    shown = to_json(application)["applicant"]
    assert "pseudonym" not in shown and shown["id_number"] == "**************002X"


def test_totp_follows_rfc_6238_and_accepts_a_code_once() -> None:
    key = b"12345678901234567890"  # RFC 6238 appendix B, SHA-1
    assert totp.code(key, 59) == "287082" and totp.code(key, 1111111109) == "081804"
    step = totp.accepted_step(key, "081804", last_step=0, now=1111111109)
    assert step == 1111111109 // 30
    assert totp.accepted_step(key, "081804", last_step=step, now=1111111109) is None  # replay
    assert totp.accepted_step(key, totp.code(key, 1111111109 - 30), 0, now=1111111109)  # drift
    assert totp.accepted_step(key, totp.code(key, 1111111109 - 90), 0, now=1111111109) is None
    for junk in ("", "12345", "abcdef", "1234567"):
        assert totp.accepted_step(key, junk, 0, now=1111111109) is None
    uri = totp.provisioning_uri(key, "admin-1")
    assert (
        uri.startswith("otpauth://totp/Tongban:admin-1?") and "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" in uri
    )
    assert totp.qr_svg(uri).lstrip().startswith("<?xml")


def test_totp_keys_are_sealed_per_account_and_recovery_codes_hashed() -> None:
    sealer = totp.Sealer.from_secret(b"s" * 32)
    key = totp.new_key()
    sealed = sealer.seal(key, "admin-1")
    assert key not in sealed and sealer.open(sealed, "admin-1") == key
    with pytest.raises(totp.SealError):
        sealer.open(sealed, "admin-2")  # bound to its account
    with pytest.raises(totp.SealError):
        totp.Sealer.from_secret(b"t" * 32).open(sealed, "admin-1")
    codes = totp.recovery_codes()
    assert len(set(codes)) == 10 and all(len(c) == 19 for c in codes)
    first = codes[0]
    assert sealer.recovery_hash("admin-1", first) == sealer.recovery_hash(
        "admin-1", first.upper().replace("-", " ")
    )
    assert sealer.recovery_hash("admin-1", first) != sealer.recovery_hash("admin-2", first)


def test_sign_in_stages_follow_the_account() -> None:
    from gateway.accounts import Account
    from gateway.routes.session import first_stage, stage_after

    official = Account("o", "official", "310000", "", "")
    assert first_stage(official) == "full"
    assert first_stage(Account("o", "official", "310000", "", "", must_change_password=True)) == "password"
    new_admin = Account("a", "admin", "", "", "", must_change_password=True)
    assert first_stage(new_admin) == "enrol" and stage_after(new_admin, "enrol") == "password"
    supervisor = Account("s", "supervisor", "310000", "", "", two_factor=True)
    assert first_stage(supervisor) == "second_factor" and stage_after(supervisor, "second_factor") == "full"
