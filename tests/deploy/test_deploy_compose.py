"""docker-compose.yml, through the real Compose CLI (`config` resolves and validates it
against the Compose specification without a Docker engine)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from deploy_support import make_dev_names

from tools import deploy_check
from tools.deploy_settings import ProcessSettings


@pytest.fixture(scope="module")
def compose(deploy_tools: Path) -> dict[str, Any]:
    done = deploy_check.compose_config(deploy_tools, deploy_check.test_secrets())
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def test_compose_refuses_to_run_without_secrets(deploy_tools: Path) -> None:
    done = deploy_check.compose_config(deploy_tools, {})
    assert done.returncode != 0
    assert "python -m tools.deploy_secrets" in done.stderr


def test_every_process_is_a_compose_service(
        compose: dict[str, Any], settings: dict[str, ProcessSettings]) -> None:
    assert set(settings) <= set(compose["services"])
    assert {"kafka", "postgres", "coturn", "topics"} <= set(compose["services"])


def test_environment_is_what_the_code_reads(
        compose: dict[str, Any], settings: dict[str, ProcessSettings]) -> None:
    assert deploy_check.compose_env_problems(compose, settings) == []


def test_same_settings_as_make_dev(compose: dict[str, Any], settings: dict[str, ProcessSettings],
                                   monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for process, spec in settings.items():
        expected = make_dev_names(process, spec, monkeypatch, tmp_path)
        given = set(compose["services"][process]["environment"])
        assert expected <= given, f"{process}: make dev sets {expected - given} too"


def test_processes_bind_all_interfaces_inside_and_loopback_outside(
        compose: dict[str, Any], settings: dict[str, ProcessSettings]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", f"{name} publishes {port} beyond loopback"
    for process in settings:
        env = compose["services"][process]["environment"]
        published = {int(p["target"]) for p in compose["services"][process]["ports"]}
        for key in ("TONGBAN_GRPC_LISTEN", "TONGBAN_HTTP_LISTEN", "TONGBAN_METRICS_LISTEN"):
            if key in env:
                host, _, port = env[key].rpartition(":")
                assert host == "0.0.0.0", f"{process} {key}={env[key]}"
                assert int(port) in published, f"{process} does not publish {key}"


def test_health_gates_every_dependency(compose: dict[str, Any]) -> None:
    stages = deploy_check.dockerfile_stages()
    services = compose["services"]

    def has_health(name: str) -> bool:
        target = (services[name].get("build") or {}).get("target")
        return "healthcheck" in services[name] or bool(target and stages[target].healthcheck)

    for name, service in services.items():
        for dependency, how in (service.get("depends_on") or {}).items():
            if how["condition"] == "service_healthy":
                assert has_health(dependency), f"{name} waits on {dependency}: no health check"
    for name in ("intake", "routing", "window", "results", "gateway"):
        assert has_health(name)
        assert set(services[name]["depends_on"]) & {"kafka", "postgres"}
    for name in ("intake", "routing", "window", "results"):
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["topics"]["condition"] == \
            "service_completed_successfully"
    assert services["gateway"]["depends_on"].keys() >= {"intake", "routing", "window", "results"}


def test_images_come_from_their_dockerfile_targets(compose: dict[str, Any],
                                                   settings: dict[str, ProcessSettings]) -> None:
    for process in settings:
        build = compose["services"][process]["build"]
        assert build["dockerfile"] == "deploy/docker/Dockerfile"
        assert build["target"] == process
    topics = compose["services"]["topics"]
    assert topics["build"]["target"] == "app"
    assert "services.shared import topics" in " ".join(topics["command"])
    assert compose["services"]["kafka"]["image"] == "apache/kafka:4.1.1"
    assert compose["services"]["postgres"]["image"] == "postgres:15"


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    def mounts(name: str) -> dict[str, str]:
        return {v["target"]: v["source"] for v in compose["services"][name].get("volumes", [])
                if v["type"] == "volume"}

    assert mounts("kafka") == {"/var/lib/kafka/data": "kafka-data"}
    assert mounts("postgres") == {"/var/lib/postgresql/data": "postgres-data"}
    intake, window = compose["services"]["intake"], compose["services"]["window"]
    assert mounts("intake") == {intake["environment"]["TONGBAN_BLOB_DIR"]: "blobs"}
    assert mounts("window") == {window["environment"]["TONGBAN_RECORDINGS_DIR"]: "recordings"}
    assert compose["services"]["kafka"]["environment"]["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert {"kafka-data", "postgres-data", "blobs", "recordings"} <= set(compose["volumes"])


def test_tongban_containers_are_locked_down(compose: dict[str, Any],
                                            settings: dict[str, ProcessSettings]) -> None:
    for process in settings:
        service = compose["services"][process]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]


def test_window_reaches_browsers_through_turn(compose: dict[str, Any]) -> None:
    env = compose["services"]["window"]["environment"]
    assert env["TONGBAN_LOOPBACK_ICE"] == "false"
    assert env["TONGBAN_ICE_SERVERS"].startswith("turn:coturn:3478")
    coturn = " ".join(compose["services"]["coturn"]["command"])
    # the credential both sides use is the same interpolated secret
    assert f"--user={env['TONGBAN_ICE_USERNAME']}:{env['TONGBAN_ICE_CREDENTIAL']}" in coturn
