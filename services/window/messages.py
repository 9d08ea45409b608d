"""Window messages on each party's data channel: pure rules, no I/O.

A party sends JSON text (or, for a document-camera image, a binary message):

  {"type": "summary", "text": …}               an official's summary of the matter → others
  {"type": "confirm", "summary_id": …,
   "confirmed": true}                           the applicant confirms that summary (false:
                                                questions it) → others
  {"type": "chat", "text": …}                   anyone → others
  {"type": "snapshot", "content_type": "image/jpeg", "data": <base64>,
   "id": …, "part": 0, "parts": 1}              a document-camera image, in parts if large
  <binary: JPEG or PNG bytes>                   a whole document-camera image

Only JPEG and PNG: a snapshot becomes a material in intake, which takes JPEG, PNG or PDF.

Relayed messages get "id" (summaries: the id a confirmation must quote), "from" (the seat)
and "sent_at" (Unix seconds). The sender of a summary or snapshot gets an acknowledgement;
a refused message gets {"type": "error", "reason": …, "detail": …} back, nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from services.shared import filetypes

MAX_TEXT = 64 * 1024  # characters of a summary or chat line
MAX_SNAPSHOT = 16 * 1024 * 1024  # bytes of one image
MAX_PARTS = 512
MAX_OPEN_SNAPSHOTS = 4  # per party
SNAPSHOT_TTL_S = 120.0  # an unfinished multi-part image is dropped after this
OFFICIALS = frozenset({"official", "second_official"})
SENDERS: dict[str, frozenset[str] | None] = {  # None: any seat
    "summary": OFFICIALS,
    "confirm": frozenset({"applicant"}),
    "chat": None,
    "snapshot": frozenset({"applicant", "clerk"}),
}


def sniff_image(data: bytes) -> str | None:
    kind = filetypes.sniff(data)
    return kind if kind in filetypes.IMAGES else None


@dataclass(frozen=True)
class Snapshot:
    id: str
    content_type: str
    data: bytes
    sha256: str


@dataclass
class Outcome:
    """What one incoming message leads to."""

    kind: str = ""  # the message type, "" when refused
    relay: dict[str, Any] | None = None  # to every other party
    reply: dict[str, Any] | None = None  # to the sender
    snapshot: Snapshot | None = None  # a complete document-camera image


def refusal(reason: str, detail: str) -> Outcome:
    return Outcome(reply={"type": "error", "reason": reason, "detail": detail})


@dataclass
class _Parts:
    content_type: str
    parts: int
    started: float
    chunks: dict[int, bytes] = field(default_factory=dict)
    size: int = 0


@dataclass
class Conversation:
    """The message state of one window: the summary to confirm, images being assembled."""

    summary_id: str | None = None
    summary: dict[str, Any] | None = None
    confirmed: bool = False
    _parts: dict[tuple[str, str], _Parts] = field(default_factory=dict)

    def receive(self, seat: str, raw: str | bytes, now: float) -> Outcome:
        self._expire(now)
        if isinstance(raw, bytes):
            return self._snapshot(seat, {"data": raw, "id": uuid.uuid4().hex}, now)
        if len(raw) > MAX_SNAPSHOT * 2:
            return refusal("too_large", "message too large")
        try:
            message = json.loads(raw)
        except ValueError:
            return refusal("not_json", "messages are JSON objects")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return refusal("no_type", "a message is an object with a string `type`")
        kind = message["type"]
        if kind not in SENDERS:
            return refusal("unknown_type", f"unknown message type {kind!r}")
        allowed = SENDERS[kind]
        if allowed is not None and seat not in allowed:
            return refusal("not_allowed", f"the {seat} seat cannot send {kind}")
        if kind == "snapshot":
            return self._snapshot(seat, message, now)
        if kind in {"summary", "chat"}:
            text = message.get("text")
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
                return refusal("bad_text", f"`text` is 1 to {MAX_TEXT} characters")
        stamped = {**message, "id": uuid.uuid4().hex, "from": seat, "sent_at": now}
        if kind == "summary":
            self.summary_id, self.summary, self.confirmed = stamped["id"], stamped, False
            return Outcome(kind, relay=stamped, reply={"type": "ack", "of": "summary", "id": stamped["id"]})
        if kind == "confirm":
            if self.summary_id is None or message.get("summary_id") != self.summary_id:
                return refusal("stale_summary", "confirm the latest summary by its id")
            agreed = message.get("confirmed", True)
            if not isinstance(agreed, bool):
                return refusal("bad_confirmed", "`confirmed` is true or false")
            self.confirmed = agreed  # false: the applicant questions the summary
        return Outcome(kind, relay=stamped)

    def _snapshot(self, seat: str, message: dict[str, Any], now: float) -> Outcome:
        data = message.get("data")
        if isinstance(data, str):
            try:
                data = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                return refusal("bad_base64", "`data` is not base64")
        if not isinstance(data, bytes) or not data:
            return refusal("no_data", "a snapshot carries image bytes in `data`")
        image_id = str(message.get("id") or uuid.uuid4().hex)[:64]
        part, parts = message.get("part", 0), message.get("parts", 1)
        if not (isinstance(part, int) and isinstance(parts, int) and 0 <= part < parts <= MAX_PARTS):
            return refusal("bad_part", f"0 <= part < parts <= {MAX_PARTS}")
        key = (seat, image_id)
        pending = self._parts.get(key)
        if pending is None:
            if sum(1 for s, _ in self._parts if s == seat) >= MAX_OPEN_SNAPSHOTS:
                return refusal("too_many", "too many images in progress")
            declared = message.get("content_type")
            pending = _Parts(declared if isinstance(declared, str) else "", parts, now)
            self._parts[key] = pending
        if parts != pending.parts:
            del self._parts[key]
            return refusal("bad_part", "`parts` changed within one image")
        if part not in pending.chunks:
            pending.chunks[part] = data
            pending.size += len(data)
        if pending.size > MAX_SNAPSHOT:
            del self._parts[key]
            return refusal("too_large", f"an image is at most {MAX_SNAPSHOT} bytes")
        if len(pending.chunks) < pending.parts:
            return Outcome("snapshot_part")
        del self._parts[key]
        image = b"".join(pending.chunks[i] for i in range(pending.parts))
        content_type = sniff_image(image)
        if content_type is None:
            return refusal("not_an_image", "a snapshot is a JPEG or PNG image")
        digest = hashlib.sha256(image).hexdigest()
        snapshot = Snapshot(image_id, content_type, image, digest)
        notice = {
            "type": "snapshot",
            "id": image_id,
            "from": seat,
            "sent_at": now,
            "content_type": content_type,
            "size": len(image),
            "sha256": digest,
        }
        return Outcome(
            "snapshot",
            relay=notice,
            snapshot=snapshot,
            reply={"type": "snapshot_received", "id": image_id, "size": len(image), "sha256": digest},
        )

    def _expire(self, now: float) -> None:
        for key in [k for k, p in self._parts.items() if now - p.started > SNAPSHOT_TTL_S]:
            del self._parts[key]
