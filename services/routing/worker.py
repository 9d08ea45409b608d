"""The routing worker on faust-streaming.

- `intake_events` reads tongban.application (CloudEvents, keyed by case) and turns submitted
  and cancelled applications into commands on tongban.routing.commands keyed by province,
  so one province's commands all reach the one worker that owns its partition.
- `route` applies each command to that province's ProvinceRouter. Its state lives in the
  faust table `routing-state` (changelog topic), written after every command, so a worker
  that dies is replaced by one that recovers the state from the changelog. Commands are
  idempotent, so one replayed after a crash changes nothing twice. Every resulting event goes
  to tongban.routing as a CloudEvent whose ce_id derives from the command id: a replayed
  command's events dedupe downstream.
- gRPC calls become commands too and wait for the agent's answer (faust's ask), so the
  owner of a province answers about it, wherever the call arrived.
- A timer sends every province a tick (reservation timeouts, wrap-up, SLA, positions).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import faust
from google.protobuf.message import Message

from services.routing.config import RoutingSettings
from services.routing.domain import ProvinceRouter, RoutingError, late_accept_events
from services.shared import cloudevents, topics
from services.shared.cloudevents import PoisonRecord

log = logging.getLogger(__name__)
STATE_TABLE = "routing-state"
EVENT_IDS = uuid.UUID("5f0c1d1e-7b1a-4c59-9a57-2f3f2b1c0d0e")


def command(kind: str, province: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "province": province,
        "id": fields.pop("id", None) or str(uuid.uuid4()),
        "now": fields.pop("now", None) or time.time(),
        **fields,
    }


def apply_command(router: ProvinceRouter, cmd: dict[str, Any]) -> tuple[list[Message], dict[str, Any]]:
    """(events, answer) for one command; a RoutingError becomes an answer with its code."""
    now = float(cmd["now"])
    kind = cmd["kind"]
    try:
        if kind == "enqueue":
            return router.enqueue(
                cmd["case_id"],
                cmd["department"],
                cmd["matter_code"],
                bool(cmd["priority"]),
                cmd.get("language", "zh"),
                now,
                cmd.get("submitted_at"),
                int(cmd.get("round", 1)),
            ), {}
        if kind == "cancel":
            return router.cancel(cmd["case_id"], now), {}
        if kind == "tick":
            return router.tick(now), {}
        if kind == "register":
            events = router.register(
                cmd["official_id"],
                cmd["department"],
                cmd["skills"],
                cmd["languages"],
                now,
                cmd.get("display_name", ""),
            )
            return events, {"official": official_view(router, cmd["official_id"])}
        if kind == "presence":
            events = router.set_presence(cmd["official_id"], cmd["presence"], cmd.get("reason", ""), now)
            return events, {"official": official_view(router, cmd["official_id"])}
        if kind == "accept":
            case_id = (
                router.officials[cmd["official_id"]].case_id if cmd["official_id"] in router.officials else ""
            )
            events = router.accept(cmd["official_id"], cmd["reservation_id"], now)
            return events, {"case_id": case_id}
        if kind == "reject":
            return router.reject(cmd["official_id"], cmd["reservation_id"], cmd.get("reason", ""), now), {}
        if kind == "finish":
            return router.finish(cmd["official_id"], cmd["case_id"], now), {}
        if kind == "official":
            router._official(cmd["official_id"])
            return [], {"official": official_view(router, cmd["official_id"])}
        if kind == "position":
            state, position, eta, official_id = router.position(cmd["case_id"])
            return [], {"state": state, "position": position, "eta": eta, "official_id": official_id}
        if kind == "queues":
            return [], {"queues": router.summaries(now)}
    except RoutingError as error:
        return late_accept_events(error), {
            "error": error.code,
            "message_zh": error.message_zh,
            "message_en": error.message_en,
        }
    return [], {"error": "UNKNOWN_COMMAND", "message_zh": "未知指令", "message_en": f"unknown command {kind}"}


def official_view(router: ProvinceRouter, official_id: str) -> dict[str, Any]:
    o = router.officials[official_id]
    return {
        "id": o.id,
        "province": router.province,
        "department": o.department,
        "skills": o.skills,
        "languages": o.languages,
        "presence": o.presence,
        "away_reason": o.away_reason,
        "case_id": o.case_id,
        "reservation_id": o.reservation_id,
        "reservation_expires_at": o.reservation_expires if o.reservation_id else 0.0,
        "display_name": o.display_name,
    }


def intake_command(envelope: cloudevents.Envelope) -> dict[str, Any] | None:
    """The routing command an intake event asks for, if any."""
    event: Any = envelope.event
    if envelope.short_type == "ApplicationSubmitted":
        return command(
            "enqueue",
            event.target_province,
            id=envelope.id,
            case_id=event.case_id,
            department=event.department,
            matter_code=event.matter_code,
            priority=bool(event.needs.elderly or event.needs.disability),
            language=event.needs.preferred_language or "zh",
            submitted_at=envelope.time.timestamp(),
            round=event.submission_round or 1,
        )
    if envelope.short_type == "ApplicationCancelled" and event.target_province:
        return command("cancel", event.target_province, id=envelope.id, case_id=event.case_id)
    return None


class RoutingWorker:
    """Builds the faust app with its topics, table, agents and timer."""

    def __init__(self, settings: RoutingSettings) -> None:
        self.settings = settings
        self.config = settings.routing()
        catalog = settings.catalog()
        # the app id is the consumer group and names faust's own topics (changelog,
        # assignor); with the reply topics' prefix, all of them stay in the namespace
        self.app = faust.App(
            catalog.group(settings.worker_name),
            reply_to_prefix=catalog.group("f-reply-"),
            broker=f"kafka://{settings.kafka_bootstrap}",
            store="memory://",
            datadir=settings.routing_data_dir,
            web_enabled=False,
            topic_partitions=6,
            topic_replication_factor=1,
            producer_acks=-1,
            reply_create_topic=True,
            consumer_auto_offset_reset="earliest",
            table_standby_replicas=0,
            broker_commit_every=100,
            broker_commit_interval=0.5,
            # a worker that dies is noticed within seconds, so its provinces move on quickly
            broker_session_timeout=10.0,
            broker_heartbeat_interval=2.0,
        )
        self.applications = self.app.topic(
            catalog.name(topics.APPLICATION), key_serializer="raw", value_serializer="raw"
        )
        self.commands = self.app.topic(
            catalog.name(topics.ROUTING_COMMANDS), key_serializer="raw", value_serializer="json"
        )
        self.events = self.app.topic(
            catalog.name(topics.ROUTING), key_serializer="raw", value_serializer="raw"
        )
        self.dead_letters = self.app.topic(catalog.dead_letter, key_serializer="raw", value_serializer="raw")
        # The changelog record goes to the partition of the command being processed, so each
        # province's state sits beside its commands (both 6 partitions, keyed by province).
        self.state = self.app.Table(STATE_TABLE, default=None, partitions=6, key_type=str)
        self.routers: dict[str, tuple[int, ProvinceRouter]] = {}
        self.route = self.app.agent(self.commands, name="route")(self._route)
        self.app.agent(self.applications, name="intake-events")(self._intake_events)
        self.app.timer(settings.tick_interval_s)(self._tick)

    # ------------------------------------------------------------ agents

    async def _intake_events(self, stream: Any) -> None:
        async for event in stream.events():
            headers = (
                list((event.message.headers or {}).items())
                if isinstance(event.message.headers, dict)
                else list(event.message.headers or [])
            )
            try:
                envelope = cloudevents.decode(event.key, event.value, headers)
            except PoisonRecord as poison:
                await self.dead_letters.send(
                    key=event.key,
                    value=event.value,
                    headers=[
                        *headers,
                        ("dlq_reason", poison.reason.encode()),
                        ("dlq_topic", event.message.topic.encode()),
                        ("dlq_partition", str(event.message.partition).encode()),
                        ("dlq_offset", str(event.message.offset).encode()),
                        ("dlq_consumer", b"routing"),
                    ],
                )
                continue
            cmd = intake_command(envelope)
            if cmd is not None:
                await self.commands.send(key=cmd["province"].encode(), value=cmd)

    async def _route(self, stream: Any) -> Any:
        async for cmd in stream:
            province = cmd["province"]
            router = self._router(province)
            events, answer = apply_command(router, cmd)
            if cmd["kind"] not in {"official", "position", "queues"}:
                data = router.to_dict()
                version = self.routers[province][0] + 1
                data["version"] = version
                self.state[province] = data
                self.routers[province] = (version, router)
            for index, event in enumerate(events):
                event_id = str(uuid.uuid5(EVENT_IDS, f"{cmd['id']}/{index}"))
                key, value, headers = cloudevents.encode(
                    event, source="routing", key=province, event_id=event_id
                )
                await self.events.send(key=key, value=value, headers=headers)
            yield answer

    def _router(self, province: str) -> ProvinceRouter:
        """The cached router, unless the table holds a newer state (after a rebalance)."""
        data = self.state.get(province)
        version = int(data.get("version", 0)) if data else 0
        cached = self.routers.get(province)
        if cached is not None and cached[0] == version:
            return cached[1]
        router = (
            ProvinceRouter.from_dict(data, self.config) if data else ProvinceRouter(province, self.config)
        )
        self.routers[province] = (version, router)
        return router

    async def _tick(self) -> None:
        for key in list(self.state.keys()):
            province = key.decode() if isinstance(key, bytes) else str(key)
            cmd = command("tick", province, id=f"tick/{province}/{time.time():.3f}")
            await self.commands.send(key=province.encode(), value=cmd)

    # ------------------------------------------------------------ for the gRPC front

    async def ask(self, kind: str, province: str, **fields: Any) -> dict[str, Any]:
        cmd = command(kind, province, **fields)
        answer: dict[str, Any] = await self.route.ask(key=province.encode(), value=cmd)
        return answer
