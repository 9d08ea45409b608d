"""The topic catalog (deploy/topics.yaml) and its idempotent creation at start-up."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CATALOG = REPO_ROOT / "deploy" / "topics.yaml"
EVENTS_PACKAGE = "tongban.events.v1"
DEAD_LETTER = "tongban.deadletter"


class CatalogError(ValueError):
    """The topic catalog is malformed."""


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    retention_ms: int
    cleanup_policy: str
    key: str
    events: tuple[str, ...]

    def config(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}


@dataclass(frozen=True)
class Catalog:
    topics: tuple[Topic, ...]
    replication_factor: int

    def topic(self, name: str) -> Topic:
        for topic in self.topics:
            if topic.name == name:
                return topic
        raise KeyError(name)

    def topic_for_event(self, type_name: str) -> Topic:
        """The topic of an event, by short ("CaseQueued") or full proto name."""
        short = type_name.removeprefix(EVENTS_PACKAGE + ".")
        for topic in self.topics:
            if short in topic.events:
                return topic
        raise KeyError(f"no topic carries {type_name}")

    def event_topics(self) -> list[str]:
        return [t.name for t in self.topics if t.events]


def parse(text: str) -> Catalog:
    data = yaml.safe_load(text) or {}
    replication = int((data.get("defaults") or {}).get("replication_factor", 1))
    topics: list[Topic] = []
    seen_names: set[str] = set()
    seen_events: dict[str, str] = {}
    for i, raw in enumerate(data.get("topics") or []):
        try:
            topic = Topic(
                name=str(raw["name"]),
                partitions=int(raw["partitions"]),
                retention_ms=int(raw["retention_ms"]),
                cleanup_policy=str(raw["cleanup_policy"]),
                key=str(raw["key"]),
                events=tuple(raw.get("events") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogError(f"topic #{i + 1}: missing or bad field {exc}") from exc
        if topic.name in seen_names:
            raise CatalogError(f"topic {topic.name} declared twice")
        if topic.partitions < 1:
            raise CatalogError(f"topic {topic.name}: partitions must be at least 1")
        if topic.cleanup_policy not in {"delete", "compact", "compact,delete"}:
            raise CatalogError(f"topic {topic.name}: unknown cleanup policy")
        for event in topic.events:
            if event in seen_events:
                raise CatalogError(f"event {event} on both {seen_events[event]} and {topic.name}")
            seen_events[event] = topic.name
        seen_names.add(topic.name)
        topics.append(topic)
    return Catalog(tuple(topics), replication)


@cache
def load(path: str | Path = DEFAULT_CATALOG) -> Catalog:
    path = Path(path)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return parse(path.read_text(encoding="utf-8"))


def ensure_topics(bootstrap: str, catalog: Catalog, timeout_s: float = 60.0) -> list[str]:
    """Creates whatever topics are missing; returns the names it created. Safe to repeat."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tongban-topics")
            break
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in catalog.topics if t.name not in existing]
        created: list[str] = []
        for topic in missing:
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            name=topic.name,
                            num_partitions=topic.partitions,
                            replication_factor=catalog.replication_factor,
                            topic_configs=topic.config(),
                        )
                    ]
                )
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # another service created it between our list and create: fine
        if created:
            log.info("created topics", extra={"topics": created})
        return created
    finally:
        admin.close()
