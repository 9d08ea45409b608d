"""The window service over real gRPC, with events on the real broker."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from kafka import KafkaConsumer

from cli.botpeer import TestPeer
from services.shared import cloudevents, topics
from services.shared.grpcserver import Service
from services.shared.publisher import EventPublisher
from services.window.api import WindowService
from services.window.ice import rtc_configuration, use_loopback_ice
from services.window.media import WindowMedia
from tests.support import eventually
from tongban.types.v1 import types_pb2
from tongban.window.v1 import window_pb2, window_pb2_grpc
from tools.engines import free_port


@pytest.fixture
async def window_stub(
    kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[window_pb2_grpc.WindowServiceStub]:
    use_loopback_ice()
    catalog = topics.load()
    topics.ensure_topics(kafka_bootstrap, catalog)
    publisher = EventPublisher(kafka_bootstrap, "window", catalog)
    media = WindowMedia(tmp_path, rtc_configuration([]), grace_s=5, stats_interval_s=1)
    api = WindowService(media, publisher, os.urandom(32), 60, "127.0.0.1:1")
    port = free_port()
    service = Service("window", f"127.0.0.1:{port}")
    service.add(
        lambda s: window_pb2_grpc.add_WindowServiceServicer_to_server(api, s),
        "tongban.window.v1.WindowService",
    )
    await service.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield window_pb2_grpc.WindowServiceStub(channel)
    finally:
        await channel.close()
        await service.stop(grace=0.5)
        await media.shutdown()
        await publisher.close()


def token_of(window: window_pb2.Window, role: int) -> str:
    return next(s.join_token for s in window.seats if s.role == role)


async def test_join_by_token_and_the_events_of_a_window(
    window_stub: window_pb2_grpc.WindowServiceStub,
    kafka_bootstrap: str,
) -> None:
    case_id = str(uuid.uuid4())
    opened = (
        await window_stub.OpenWindow(
            window_pb2.OpenWindowRequest(case_id=case_id, official_id="sh-official-1")
        )
    ).window
    again = (
        await window_stub.OpenWindow(
            window_pb2.OpenWindowRequest(case_id=case_id, official_id="sh-official-1")
        )
    ).window
    assert again.id == opened.id  # one window per case
    peers = {}
    for role in (types_pb2.SEAT_ROLE_APPLICANT, types_pb2.SEAT_ROLE_OFFICIAL):
        peer = TestPeer(width=160, height=120)

        async def signal(sdp: str, role: int = role) -> str:
            reply = await window_stub.Join(
                window_pb2.JoinRequest(window_id=opened.id, join_token=token_of(opened, role), sdp=sdp)
            )
            return str(reply.sdp)

        await peer.join(signal)
        peers[role] = peer
    await eventually(lambda: all(min(p.frames("video") or [0]) >= 5 for p in peers.values()), timeout=30)
    await asyncio.sleep(1.5)
    closed = (
        await window_stub.CloseWindow(window_pb2.CloseWindowRequest(window_id=opened.id, reason="completed"))
    ).window
    assert closed.state == "closed"
    for peer in peers.values():
        await peer.close()

    def kinds() -> list[str]:
        consumer = KafkaConsumer(
            "tongban.window",
            bootstrap_servers=kafka_bootstrap,
            auto_offset_reset="earliest",
            consumer_timeout_ms=2000,
        )
        found = [cloudevents.decode(r.key, r.value, r.headers) for r in consumer if r.key == case_id.encode()]
        consumer.close()
        return [e.short_type for e in found]

    seen = await eventually(
        lambda: asyncio.to_thread(lambda: (k := kinds()) and "WindowRecordingStored" in k and k), timeout=30
    )
    assert seen[0] == "WindowOpened"
    assert {"WindowPartyJoined", "WindowConnected", "WindowClosed"} <= set(seen)


async def test_wrong_reused_elsewhere_and_expired_tokens_are_refused(
    window_stub: window_pb2_grpc.WindowServiceStub,
) -> None:
    first = (
        await window_stub.OpenWindow(window_pb2.OpenWindowRequest(case_id=str(uuid.uuid4()), official_id="o"))
    ).window
    second = (
        await window_stub.OpenWindow(window_pb2.OpenWindowRequest(case_id=str(uuid.uuid4()), official_id="o"))
    ).window
    for token in ("garbage", token_of(second, types_pb2.SEAT_ROLE_APPLICANT)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await window_stub.Join(window_pb2.JoinRequest(window_id=first.id, join_token=token, sdp="v=0"))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await window_stub.Join(
            window_pb2.JoinRequest(
                window_id=first.id,
                join_token=token_of(first, types_pb2.SEAT_ROLE_APPLICANT),
                sdp="v=0\r\nnot an offer\r\n",
            )
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    state = (await window_stub.GetWindow(window_pb2.GetWindowRequest(window_id=first.id))).window
    assert state.state == "open"  # the malformed offer left the window intact

    # the token the malformed offer carried is still good once; then it is spent
    token = token_of(first, types_pb2.SEAT_ROLE_APPLICANT)
    peer = TestPeer(width=160, height=120)
    try:
        await peer.join(lambda sdp: join_sdp(window_stub, first.id, token, sdp))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await window_stub.Join(
                window_pb2.JoinRequest(window_id=first.id, join_token=token, sdp=peer.pc.localDescription.sdp)
            )
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "already used" in (caught.value.details() or "")
    finally:
        await peer.close()
        await window_stub.CloseWindow(window_pb2.CloseWindowRequest(window_id=first.id))


async def join_sdp(stub: window_pb2_grpc.WindowServiceStub, window_id: str, token: str, sdp: str) -> str:
    reply = await stub.Join(window_pb2.JoinRequest(window_id=window_id, join_token=token, sdp=sdp))
    return str(reply.sdp)


def test_a_token_opens_its_seat_once() -> None:
    from services.window import tokens

    used = tokens.UsedTokens(ttl_s=10)
    first, second = (tokens.issue(b"s", "w1", "applicant", ttl_s=10) for _ in range(2))
    assert first != second  # two tokens of one seat are told apart
    used.claim(first, now=1000)
    with pytest.raises(tokens.TokenError, match="already used"):
        used.claim(first, now=1005)
    used.claim(second, now=1005)
    used.release(second)
    used.claim(second, now=1006)  # a released claim (a refused offer) can be claimed again
    used.claim("other", now=1011)  # first's claim is past the token lifetime: forgotten
    assert first not in used._claimed and second in used._claimed


def test_expired_token() -> None:
    from services.window import tokens

    secret = b"s"
    token = tokens.issue(secret, "w1", "applicant", ttl_s=10, now=1000)
    assert tokens.check(secret, token, "w1", now=1005) == "applicant"
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.check(secret, token, "w1", now=1011)
    with pytest.raises(tokens.TokenError, match="another window"):
        tokens.check(secret, token, "w2", now=1005)
    with pytest.raises(tokens.TokenError, match="forged"):
        tokens.check(b"other", token, "w1", now=1005)


def test_every_issued_token_checks() -> None:
    """Binary MACs contain every byte value, the separator included, now and then."""
    from services.window import tokens

    for i in range(2000):
        secret = i.to_bytes(4, "big")
        token = tokens.issue(secret, f"window-{i}", "official", ttl_s=60, now=0)
        assert tokens.check(secret, token, f"window-{i}", now=1) == "official"
