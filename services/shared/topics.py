"""The topic catalog (deploy/topics.yaml), its namespace, and idempotent topic creation.

Code names a topic by the constants below (the catalog's names), never by a literal, and
asks the loaded `Catalog` for the name on the broker: `catalog.name(ROUTING)`. A catalog
loaded with a namespace (TONGBAN_TOPIC_NAMESPACE, e.g. `t-4f2a`) puts it before every topic
(`t-4f2a.tongban.routing`) and every consumer group (`catalog.group("tongban-window")`), so
several stacks share one broker without seeing each other's records: the test suite gives
each real stack it starts a namespace of its own. The empty namespace is the catalog as
written, what `make dev` and the deployments use.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CATALOG = REPO_ROOT / "deploy" / "topics.yaml"
EVENTS_PACKAGE = "tongban.events.v1"
# The catalog's topics that code names (a test checks each is in deploy/topics.yaml).
APPLICATION = "tongban.application"
ROUTING = "tongban.routing"
ROUTING_COMMANDS = "tongban.routing.commands"
WINDOW = "tongban.window"
RESULT = "tongban.result"
DEAD_LETTER = "tongban.deadletter"
# Letters, digits and '-', in parts joined by '.': never '_', which Kafka's metric names
# confuse with '.', so `a_b.x` and `a.b.x` could not both exist.
NAMESPACE = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
NAMESPACE_MAX = 64


class CatalogError(ValueError):
    """The topic catalog is malformed."""


def namespace_problem(namespace: str) -> str | None:
    """Why `namespace` cannot prefix topic and group names, or None (the empty one can)."""
    if namespace == "":
        return None
    if len(namespace) > NAMESPACE_MAX:
        return f"at most {NAMESPACE_MAX} characters"
    if not NAMESPACE.fullmatch(namespace):
        return "letters, digits and '-', in parts joined by '.'"
    return None


def namespaced(namespace: str, name: str) -> str:
    """`name` (a topic or consumer group) inside `namespace`."""
    return f"{namespace}.{name}" if namespace else name


@dataclass(frozen=True)
class Topic:
    name: str  # on the broker: the catalog's name inside the catalog's namespace
    base: str  # as written in the catalog
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
    namespace: str = ""

    def topic(self, name: str) -> Topic:
        """A topic by its catalog name (`ROUTING`) or its name on the broker."""
        for topic in self.topics:
            if name in (topic.base, topic.name):
                return topic
        raise KeyError(name)

    def name(self, base: str) -> str:
        """The broker's name of the catalog's topic `base`."""
        return self.topic(base).name

    def base_name(self, name: str) -> str:
        """The catalog's name of a broker topic (one outside the catalog as it is)."""
        try:
            return self.topic(name).base
        except KeyError:
            return name

    def group(self, group_id: str) -> str:
        """A consumer group (or faust app id) inside the namespace."""
        return namespaced(self.namespace, group_id)

    def owns_group(self, group_id: str) -> bool:
        """Whether a group on the broker belongs to this namespace."""
        return not self.namespace or group_id.startswith(self.namespace + ".")

    @property
    def dead_letter(self) -> str:
        return self.name(DEAD_LETTER)

    def in_namespace(self, namespace: str) -> Catalog:
        """The same catalog with every topic inside `namespace`."""
        problem = namespace_problem(namespace)
        if problem:
            raise CatalogError(f"topic namespace {namespace!r}: {problem}")
        moved = tuple(replace(t, name=namespaced(namespace, t.base)) for t in self.topics)
        return replace(self, topics=moved, namespace=namespace)

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
                base=str(raw["name"]),
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
def load(path: str | Path = DEFAULT_CATALOG, namespace: str = "") -> Catalog:
    """The catalog at `path` (relative to the repository), inside `namespace`."""
    path = Path(path)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return parse(path.read_text(encoding="utf-8")).in_namespace(namespace)


def dead_letter_for(topic: str) -> str:
    """The dead-letter topic in the namespace of `topic`, a catalog topic on the broker:
    a poison record is parked beside the stack it was read by."""
    for base in sorted((t.base for t in load().topics), key=len, reverse=True):
        if topic == base:
            return DEAD_LETTER
        if topic.endswith("." + base):
            return namespaced(topic.removesuffix("." + base), DEAD_LETTER)
    return DEAD_LETTER


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
        wait_until_served(admin, [t.name for t in catalog.topics], deadline)
        return created
    finally:
        admin.close()


def wait_until_served(admin: KafkaAdminClient, names: list[str], deadline: float) -> None:
    """Waits until the broker serves every partition of the topics (each has a leader).
    Creation returns once the controller accepted it: a consumer that joins its group before
    the partitions are served is assigned none of them, and reads nothing until its next
    metadata refresh, minutes later."""
    while True:
        described = admin.describe_topics(names)
        served = {
            t["name"]
            for t in described
            if t["error_code"] == 0 and t["partitions"] and all(p["leader_id"] >= 0 for p in t["partitions"])
        }
        if served >= set(names):
            return
        if time.monotonic() > deadline:
            raise KafkaError(f"the broker does not serve {sorted(set(names) - served)} yet")
        time.sleep(0.1)
