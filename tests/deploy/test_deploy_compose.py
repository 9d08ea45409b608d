"""docker-compose.yml, through the real Compose CLI (`config` resolves and validates it
against the Compose specification without a Docker engine)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from deploycheck import check as deploy_check
from deploycheck import secrets as deploy_secrets
from deploycheck.settings import ProcessSettings
from tests.deploy.deploy_support import Overlay, make_dev_names


@pytest.fixture(scope="module")
def compose(deploy_tools: Path) -> dict[str, Any]:
    done = deploy_check.compose_config(deploy_tools, deploy_check.stand_in_secrets())
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def test_compose_refuses_to_run_without_secrets(deploy_tools: Path) -> None:
    done = deploy_check.compose_config(deploy_tools, {})
    assert done.returncode != 0
    assert "python -m deploycheck.secrets" in done.stderr
    for name in deploy_secrets.names():  # each one on its own: none has a silent default
        rest = {k: v for k, v in deploy_check.stand_in_secrets().items() if k != name}
        done = deploy_check.compose_config(deploy_tools, rest)
        assert done.returncode != 0 and name in done.stderr, f"runs without {name}"


def test_every_process_is_a_compose_service(
    compose: dict[str, Any], settings: dict[str, ProcessSettings]
) -> None:
    assert set(settings) <= set(compose["services"])
    assert {"kafka", "postgres", "coturn", "topics"} <= set(compose["services"])


def test_environment_is_what_the_code_reads(
    compose: dict[str, Any], settings: dict[str, ProcessSettings]
) -> None:
    assert deploy_check.compose_env_problems(compose, settings) == []


def test_same_settings_as_make_dev(
    compose: dict[str, Any],
    settings: dict[str, ProcessSettings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for process, spec in settings.items():
        expected = make_dev_names(process, spec, monkeypatch, tmp_path)
        given = set(compose["services"][process]["environment"])
        assert expected <= given, f"{process}: make dev sets {expected - given} too"


def test_processes_bind_all_interfaces_inside_and_loopback_outside(
    compose: dict[str, Any], settings: dict[str, ProcessSettings]
) -> None:
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


def test_health_gates_every_dependency(compose: dict[str, Any], settings: dict[str, ProcessSettings]) -> None:
    services = compose["services"]

    def has_health(name: str) -> bool:
        if name in settings:
            return (
                bool(deploy_check.image(name).healthcheck) and "healthcheck" not in services[name]
            )  # the image's own, not replaced
        return bool(services[name].get("healthcheck", {}).get("test"))

    for name, service in services.items():
        for dependency, how in (service.get("depends_on") or {}).items():
            if how["condition"] == "service_healthy":
                assert has_health(dependency), f"{name} waits on {dependency}: no health check"
    # what each process needs, from the settings it reads: Kafka (and the topics), its
    # database, and every service it calls
    for name, spec in settings.items():
        assert has_health(name), name
        needs = {"kafka": "service_healthy", "topics": "service_completed_successfully"}
        if "TONGBAN_DATABASE_URL" in spec.known:
            needs["postgres"] = "service_healthy"
        needs |= {callee: "service_healthy" for callee in spec.addresses.values() if callee in settings}
        given = {d: how["condition"] for d, how in services[name]["depends_on"].items()}
        assert needs.items() <= given.items(), f"{name}: {needs} not in {given}"


def test_images_come_from_their_own_dockerfiles_on_the_base(
    compose: dict[str, Any], settings: dict[str, ProcessSettings]
) -> None:
    services = compose["services"]
    base = services["topics"]  # the one-shot job runs the base image
    assert Path(base["build"]["context"]) == deploy_check.REPO_ROOT
    assert base["build"]["dockerfile"] == "deploy/docker/base/Dockerfile"
    assert "services.shared import topics" in " ".join(base["command"])
    for process in settings:
        build = services[process]["build"]
        assert Path(build["context"]) == deploy_check.process_dockerfile(process).parent
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
        # Compose builds the base first and hands it over as the context FROM names
        assert build["additional_contexts"] == {deploy_check.BASE_CONTEXT: "service:topics"}
        assert services[process]["image"].startswith(f"tongban/{process}:")
    assert services["kafka"]["image"] == "apache/kafka:4.1.1"
    assert services["postgres"]["image"] == "postgres:15"


def test_a_broken_compose_file_fails_config(deploy_tools: Path, tmp_path: Path) -> None:
    text = deploy_check.COMPOSE_FILE.read_text()
    for good, bad in [
        ("read_only: true", "read_only: yes please"),  # the spec's types
        ("base: service:topics", "base: service:nonesuch"),  # a dangling context
        ("condition: service_healthy", "condition: service_happy"),
    ]:
        assert good in text
        broken = tmp_path / "docker-compose.yml"
        broken.write_text(text.replace(good, bad, 1))
        done = deploy_check.compose_config(deploy_tools, deploy_check.stand_in_secrets(), broken)
        assert done.returncode != 0, f"{bad} was accepted"


@pytest.mark.parametrize(
    ("service", "good", "bad", "complaint"),
    [
        ("intake", "TONGBAN_BLOB_DIR:", "TONGBAN_BLOBDIR:", "TONGBAN_BLOBDIR is not read by intake"),
        (
            "results",
            "TONGBAN_DATABASE_URL:",
            "# TONGBAN_DATABASE_URL:",
            "TONGBAN_DATABASE_URL is required by results",
        ),
        (
            "gateway",
            "TONGBAN_WINDOW_ADDR: window:7053",
            "TONGBAN_WINDOW_ADDR: window:7054",
            "does not reach window",
        ),
        (
            "window",
            "TONGBAN_GRPC_LISTEN: 0.0.0.0:7053",
            "TONGBAN_GRPC_LISTEN: 127.0.0.1:7053",
            "must bind 0.0.0.0",
        ),
        (
            "window",
            "TONGBAN_JOIN_SECRET:",
            "# TONGBAN_JOIN_SECRET:",
            "secret TONGBAN_JOIN_SECRET of window is not set",
        ),
    ],
)
def test_a_wrong_environment_is_caught(
    deploy_tools: Path,
    tmp_path: Path,
    settings: dict[str, ProcessSettings],
    service: str,
    good: str,
    bad: str,
    complaint: str,
) -> None:
    text = deploy_check.COMPOSE_FILE.read_text()
    section = text.index(f"\n  {service}:\n")
    at = text.index(good, section)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(text[:at] + bad + text[at + len(good) :])
    done = deploy_check.compose_config(deploy_tools, deploy_check.stand_in_secrets(), broken)
    assert done.returncode == 0, done.stderr
    problems = deploy_check.compose_env_problems(json.loads(done.stdout), settings)
    assert any(complaint in p for p in problems), problems


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    def mounts(name: str) -> dict[str, str]:
        return {
            v["target"]: v["source"]
            for v in compose["services"][name].get("volumes", [])
            if v["type"] == "volume"
        }

    assert mounts("kafka") == {"/var/lib/kafka/data": "kafka-data"}
    assert mounts("postgres") == {"/var/lib/postgresql/data": "postgres-data"}
    intake, window = compose["services"]["intake"], compose["services"]["window"]
    assert mounts("intake") == {intake["environment"]["TONGBAN_BLOB_DIR"]: "blobs"}
    assert mounts("window") == {window["environment"]["TONGBAN_RECORDINGS_DIR"]: "recordings"}
    assert compose["services"]["kafka"]["environment"]["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert {"kafka-data", "postgres-data", "blobs", "recordings"} <= set(compose["volumes"])


def test_tongban_containers_are_locked_down(
    compose: dict[str, Any], settings: dict[str, ProcessSettings]
) -> None:
    for process in settings:
        service = compose["services"][process]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]


def test_window_reaches_browsers_through_turn(compose: dict[str, Any]) -> None:
    env = compose["services"]["window"]["environment"]
    assert env["TONGBAN_LOOPBACK_ICE"] == "false"
    assert env["TONGBAN_ICE_SERVERS"].startswith("turn:coturn:3478")
    coturn = compose["services"]["coturn"]["command"]
    # TURN checks the credentials the window and the gateway mint from the same secret
    assert "--use-auth-secret" in coturn
    assert f"--static-auth-secret={env['TONGBAN_TURN_SECRET']}" in coturn
    gateway = compose["services"]["gateway"]["environment"]
    assert gateway["TONGBAN_TURN_SECRET"] == env["TONGBAN_TURN_SECRET"]


def turn_flags(args: list[str], flag: str) -> list[str]:
    return [a.split("=", 1)[1] for a in args if a.startswith(f"--{flag}=")]


def test_compose_turn_denies_the_same_peers_as_kubernetes(
    compose: dict[str, Any], overlays: dict[str, Overlay]
) -> None:
    """Compose has no NetworkPolicies: its coturn denies every range Kubernetes' does and
    may relay only within the media network, where nothing but coturn and the window are."""
    coturn = compose["services"]["coturn"]
    args = coturn["command"]
    denied = turn_flags(args, "denied-peer-ip")
    for overlay in overlays.values():
        assert denied == turn_flags(overlay.container("turn")["args"], "denied-peer-ip"), overlay.name
    assert {"10.0.0.0-10.255.255.255", "127.0.0.0-127.255.255.255", "169.254.0.0-169.254.255.255"} <= set(
        denied
    )
    assert "--no-tcp-relay" in args and "--no-multicast-peers" in args
    (allowed,) = turn_flags(args, "allowed-peer-ip")
    (subnet,) = [c["subnet"] for c in compose["networks"]["media"]["ipam"]["config"]]
    network = ipaddress.ip_network(subnet)
    low, high = (ipaddress.ip_address(x) for x in allowed.split("-"))
    assert (low, high) == (network[0], network[-1])  # exactly the media network
    members = {name for name, s in compose["services"].items() if "media" in (s.get("networks") or [])}
    assert members == {"coturn", "window"}
    assert set(coturn["networks"]) == {"media"}  # not on the network Kafka and PostgreSQL are on
