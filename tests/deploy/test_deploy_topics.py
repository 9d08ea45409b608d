"""Strimzi's KafkaTopic resources are generated from deploy/topics.yaml and match it exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_support import Overlay

from services.shared import topics
from tools import deploy_topics


def test_generated_files_are_current() -> None:
    files = deploy_topics.render(topics.load())
    assert deploy_topics.stale(files) == [], "run python -m tools.deploy_topics"


def test_strimzi_topics_match_the_catalog_exactly(overlays: dict[str, Overlay]) -> None:
    prod = overlays["prod"]
    (kafka,) = prod.find("Kafka")
    resources = prod.find("KafkaTopic")
    found = {}
    for resource in resources:
        spec = resource["spec"]
        assert resource["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert set(spec["config"]) == {"retention.ms", "cleanup.policy"}
        assert spec["replicas"] == deploy_topics.PROD_REPLICAS
        found[spec["topicName"]] = (spec["partitions"], spec["config"]["retention.ms"],
                                    spec["config"]["cleanup.policy"])
    catalog = topics.load()
    assert len(resources) == len(catalog.topics)
    assert found == {t.name: (t.partitions, t.retention_ms, t.cleanup_policy)
                     for t in catalog.topics}


def test_replicas_fit_the_brokers(overlays: dict[str, Overlay]) -> None:
    brokers = sum(p["spec"]["replicas"] for p in overlays["prod"].find("KafkaNodePool")
                  if "broker" in p["spec"]["roles"])
    (kafka,) = overlays["prod"].find("Kafka")
    assert brokers >= deploy_topics.PROD_REPLICAS
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] < deploy_topics.PROD_REPLICAS


def test_a_catalog_change_shows_up_and_check_mode_notices(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy_topics, "KAFKA_TOPICS", tmp_path / "kafka-topics.yaml")
    monkeypatch.setattr(deploy_topics, "PROD_CATALOG", tmp_path / "topics.yaml")
    monkeypatch.setattr(deploy_topics, "REPO_ROOT", tmp_path)
    assert deploy_topics.main(["--check"]) == 1  # nothing written yet
    assert deploy_topics.main([]) == 0
    assert deploy_topics.main(["--check"]) == 0
    source = topics.DEFAULT_CATALOG.read_text("utf-8")
    grown = topics.parse(source.replace("partitions: 1\n", "partitions: 3\n"))
    files = deploy_topics.render(grown)
    assert "partitions: 3" in files[tmp_path / "kafka-topics.yaml"]
    assert deploy_topics.stale(files) == [tmp_path / "kafka-topics.yaml",
                                          tmp_path / "topics.yaml"]
