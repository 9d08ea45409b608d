"""Strimzi's KafkaTopic resources are generated from deploy/topics.yaml and match it exactly;
routing's own faust topics are made replicated too."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploycheck import topics as deploy_topics
from services.shared import topics
from tests.deploy.deploy_support import Overlay


def by_source(prod: Overlay, source: str) -> dict[str, dict[str, object]]:
    found = {}
    for resource in prod.find("KafkaTopic"):
        if resource["metadata"]["labels"][deploy_topics.SOURCE_LABEL] == source:
            found[resource["spec"]["topicName"]] = resource["spec"]
    return found


def test_generated_files_are_current() -> None:
    files = deploy_topics.render(topics.load())
    assert deploy_topics.stale(files) == [], "run python -m deploycheck.topics"
    assert deploy_topics.main(["--check"]) == 0


def test_strimzi_topics_match_the_catalog_exactly(overlays: dict[str, Overlay]) -> None:
    prod = overlays["prod"]
    (kafka,) = prod.find("Kafka")
    resources = prod.find("KafkaTopic")
    for resource in resources:
        assert resource["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert resource["spec"]["replicas"] == deploy_topics.PROD_REPLICAS
    assert {r["metadata"]["labels"][deploy_topics.SOURCE_LABEL] for r in resources} == {"catalog", "routing"}
    catalog = topics.load()
    found = {name: (spec["partitions"], spec["config"]) for name, spec in by_source(prod, "catalog").items()}
    assert found == {
        t.name: (
            t.partitions,
            {
                "retention.ms": t.retention_ms,
                "cleanup.policy": t.cleanup_policy,
                "min.insync.replicas": deploy_topics.PROD_MIN_ISR,
            },
        )
        for t in catalog.topics
    }
    names = [r["spec"]["topicName"] for r in resources]
    assert len(names) == len(set(names))
    assert len({r["metadata"]["name"] for r in resources}) == len(resources)


def test_routing_topics_are_the_ones_its_worker_declares(overlays: dict[str, Overlay]) -> None:
    prod = overlays["prod"]
    # the worker's names follow its settings (TONGBAN_WORKER_NAME is the faust app id):
    # derive them from what prod actually passes it
    env = {k: v for k, v in prod.env("routing").items() if isinstance(v, str)}
    expected = deploy_topics.routing_internal_topics(env)
    assert any(t.name.endswith("-changelog") for t in expected)
    found = by_source(prod, "routing")
    assert {name: (spec["partitions"], spec["config"]["cleanup.policy"]) for name, spec in found.items()} == {
        t.name: (t.partitions, t.cleanup_policy) for t in expected
    }
    changelog = next(t for t in expected if t.name.endswith("-changelog"))
    assert changelog.cleanup_policy == "compact"


def test_replicas_fit_the_brokers(overlays: dict[str, Overlay]) -> None:
    brokers = sum(
        p["spec"]["replicas"]
        for p in overlays["prod"].find("KafkaNodePool")
        if "broker" in p["spec"]["roles"]
    )
    assert brokers >= deploy_topics.PROD_REPLICAS
    assert deploy_topics.PROD_MIN_ISR < deploy_topics.PROD_REPLICAS  # one broker may be down


def test_a_catalog_change_shows_up_and_check_mode_notices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deploy_topics, "KAFKA_TOPICS", tmp_path / "kafka-topics.yaml")
    monkeypatch.setattr(deploy_topics, "PROD_CATALOG", tmp_path / "topics.yaml")
    assert deploy_topics.main(["--check"]) == 1  # nothing written yet
    assert deploy_topics.main([]) == 0
    assert deploy_topics.main(["--check"]) == 0
    source = topics.DEFAULT_CATALOG.read_text("utf-8")
    grown = topics.parse(source.replace("partitions: 1\n", "partitions: 3\n"))
    files = deploy_topics.render(grown)
    assert "partitions: 3" in files[tmp_path / "kafka-topics.yaml"]
    assert deploy_topics.stale(files) == [tmp_path / "kafka-topics.yaml", tmp_path / "topics.yaml"]
    written = topics.parse(files[tmp_path / "topics.yaml"])
    assert written.replication_factor == deploy_topics.PROD_REPLICAS
    assert written.topics == grown.topics


def test_resource_names_are_valid_kubernetes_names() -> None:
    assert (
        deploy_topics.resource_name("tongban-routing-__assignor-__leader")
        == "tongban-routing-assignor-leader"
    )
    assert deploy_topics.resource_name("tongban.routing.commands") == "tongban.routing.commands"
