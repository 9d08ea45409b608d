import pytest
from kafka import KafkaAdminClient

from services.shared import topics
from services.shared.topics import CatalogError
from tongban.events.v1 import events_pb2


def test_the_shipped_catalog_places_every_event_once() -> None:
    catalog = topics.load()
    for name in events_pb2.DESCRIPTOR.message_types_by_name:
        assert catalog.topic_for_event(name).name.startswith("tongban.")
    assert catalog.topic_for_event("tongban.events.v1.CaseQueued").key == "province"
    assert catalog.topic_for_event("ApplicationCreated").key == "case_id"
    assert topics.DEAD_LETTER in [t.name for t in catalog.topics]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("topics: [{name: a, partitions: 1}]", "missing or bad field"),
        ("topics: [{name: a, partitions: 0, retention_ms: 1, cleanup_policy: delete, key: k}]", "partitions"),
        (
            "topics: [{name: a, partitions: 1, retention_ms: 1, cleanup_policy: shred, key: k}]",
            "cleanup policy",
        ),
        (
            "topics: [{name: a, partitions: 1, retention_ms: 1, cleanup_policy: delete, key: k},"
            " {name: a, partitions: 1, retention_ms: 1, cleanup_policy: delete, key: k}]",
            "twice",
        ),
        (
            "topics: [{name: a, partitions: 1, retention_ms: 1, cleanup_policy: delete, key: k,"
            " events: [X]}, {name: b, partitions: 1, retention_ms: 1, cleanup_policy: delete,"
            " key: k, events: [X]}]",
            "event X on both",
        ),
    ],
)
def test_malformed_catalogs_are_refused(text: str, error: str) -> None:
    with pytest.raises(CatalogError, match=error):
        topics.parse(text)


def test_topics_are_created_idempotently_with_their_config(kafka_bootstrap: str) -> None:
    catalog = topics.load()
    topics.ensure_topics(kafka_bootstrap, catalog)
    assert topics.ensure_topics(kafka_bootstrap, catalog) == []  # second run creates nothing
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        described = {t["name"]: t for t in admin.describe_topics([t.name for t in catalog.topics])}
        for topic in catalog.topics:
            assert len(described[topic.name]["partitions"]) == topic.partitions
    finally:
        admin.close()
