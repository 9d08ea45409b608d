"""The data channel rules of a window (pure)."""

from __future__ import annotations

import base64
import json

from services.window.messages import SNAPSHOT_TTL_S, Conversation

JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 300
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 300


def send(conversation: Conversation, seat: str, message: object, now: float = 0.0) -> object:
    raw = message if isinstance(message, bytes) else json.dumps(message)
    return conversation.receive(seat, raw, now)


def reason(outcome: object) -> str:
    reply = getattr(outcome, "reply", None) or {}
    return str(reply.get("reason", ""))


def test_an_official_summary_is_relayed_and_the_applicant_confirms_it_by_id() -> None:
    talk = Conversation()
    assert reason(send(talk, "applicant", {"type": "summary", "text": "x"})) == "not_allowed"
    outcome = talk.receive("official", json.dumps({"type": "summary", "text": "材料齐全"}), 5.0)
    assert outcome.relay is not None and outcome.reply is not None
    assert outcome.relay["from"] == "official" and outcome.relay["sent_at"] == 5.0
    assert outcome.reply == {"type": "ack", "of": "summary", "id": outcome.relay["id"]}
    assert reason(send(talk, "applicant", {"type": "confirm", "summary_id": "old"})) == "stale_summary"
    assert reason(send(talk, "official", {"type": "confirm", "summary_id": talk.summary_id})) == "not_allowed"
    confirmed = talk.receive("applicant", json.dumps({"type": "confirm", "summary_id": talk.summary_id}), 6.0)
    assert confirmed.kind == "confirm" and confirmed.relay is not None and talk.confirmed
    # a newer summary needs its own confirmation; the applicant may question it
    send(talk, "second_official", {"type": "summary", "text": "补充说明"})
    assert not talk.confirmed
    assert (
        reason(
            send(talk, "applicant", {"type": "confirm", "summary_id": talk.summary_id, "confirmed": "yes"})
        )
        == "bad_confirmed"
    )
    questioned = talk.receive(
        "applicant", json.dumps({"type": "confirm", "summary_id": talk.summary_id, "confirmed": False}), 7.0
    )
    assert questioned.relay is not None and questioned.relay["confirmed"] is False
    assert not talk.confirmed


def test_malformed_messages_are_refused_with_a_reason() -> None:
    talk = Conversation()
    assert reason(talk.receive("applicant", "not json", 0)) == "not_json"
    assert reason(send(talk, "applicant", ["a list"])) == "no_type"
    assert reason(send(talk, "applicant", {"type": "dance"})) == "unknown_type"
    assert reason(send(talk, "clerk", {"type": "chat", "text": "  "})) == "bad_text"
    chat = send(talk, "interpreter", {"type": "chat", "text": "请出示身份证"})
    assert getattr(chat, "relay")["from"] == "interpreter"  # noqa: B009


def test_document_camera_images_arrive_whole_or_in_parts() -> None:
    talk = Conversation()
    whole = talk.receive("applicant", JPEG, 1.0)
    assert whole.snapshot is not None and whole.snapshot.content_type == "image/jpeg"
    assert whole.relay is not None and "data" not in whole.relay  # others get a notice only
    assert reason(talk.receive("applicant", b"%PDF-1.4", 1.0)) == "not_an_image"
    assert reason(send(talk, "official", {"type": "snapshot", "data": "AA=="})) == "not_allowed"
    assert reason(send(talk, "clerk", {"type": "snapshot", "data": "***"})) == "bad_base64"
    encoded = base64.b64encode(PNG).decode()
    parts = [encoded[:100], encoded[100:200], encoded[200:]]
    outcomes = [
        send(talk, "clerk", {"type": "snapshot", "id": "p1", "part": i, "parts": 3, "data": parts[i]})
        for i in (2, 0, 1)
    ]
    done = outcomes[-1]
    assert getattr(done, "snapshot").data == PNG  # noqa: B009
    assert getattr(done, "reply")["type"] == "snapshot_received"  # noqa: B009
    # an image never finished is dropped after a while
    send(talk, "clerk", {"type": "snapshot", "id": "p2", "part": 0, "parts": 2, "data": parts[0]}, now=0.0)
    late = send(
        talk,
        "clerk",
        {
            "type": "snapshot",
            "id": "p2",
            "part": 1,
            "parts": 2,
            "data": base64.b64encode(b"\x00" * 10).decode(),
        },
        now=SNAPSHOT_TTL_S + 1,
    )
    assert getattr(late, "snapshot") is None  # noqa: B009
