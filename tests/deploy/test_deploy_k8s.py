"""The k8s overlays, rendered by kustomize and validated by kubeconform, offline and strict,
against Kubernetes' own schemas and the Strimzi and CloudNativePG CRDs."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from deploycheck import check as deploy_check
from deploycheck import secrets as deploy_secrets
from deploycheck.settings import ProcessSettings
from services.shared import topics
from tests.deploy.deploy_support import Overlay, make_dev_names


def grpc_processes(settings: dict[str, ProcessSettings]) -> list[str]:
    return [n for n, s in settings.items() if "TONGBAN_GRPC_LISTEN" in s.listens]


@pytest.mark.parametrize("version", deploy_check.kube_versions())
@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_overlay_is_valid(
    overlays: dict[str, Overlay], deploy_tools: Path, overlay: str, version: str
) -> None:
    done = deploy_check.kubeconform(deploy_tools, overlays[overlay].text, version)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Errors: 0, Skipped: 0" in done.stdout


@pytest.mark.parametrize(
    ("overlay", "good", "bad"),
    [
        ("dev", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true"),  # Kubernetes
        ("prod", "networkPolicyPeers:", "networkPolicyPeer:"),  # Strimzi's Kafka
        ("prod", "podAntiAffinityType: required", "podAntiAffinity: required"),  # CloudNativePG
    ],
)
def test_a_misspelt_field_fails(
    overlays: dict[str, Overlay], deploy_tools: Path, overlay: str, good: str, bad: str
) -> None:
    text = overlays[overlay].text
    assert good in text
    done = deploy_check.kubeconform(deploy_tools, text.replace(good, bad), deploy_check.kube_versions()[0])
    assert done.returncode != 0, "the schema did not catch an unknown field"


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_environment_is_what_the_code_reads(
    overlays: dict[str, Overlay], overlay: str, settings: dict[str, ProcessSettings]
) -> None:
    assert deploy_check.k8s_env_problems(overlays[overlay].docs, settings) == []
    for process in settings:
        overlays[overlay].workload(process)  # every process that exists is deployed


@pytest.mark.parametrize(
    ("good", "bad", "complaint"),
    [
        (
            '{name: TONGBAN_INTAKE_ADDR, value: "intake:7051"}',
            '{name: TONGBAN_INTAKE_ADDR, value: "intake:7052"}',
            "TONGBAN_INTAKE_ADDR=intake:7052 does not reach intake's gRPC port",
        ),
        (
            '{name: TONGBAN_RESULTS_ADDR, value: "results:7054"}',
            '{name: TONGBAN_RESULTS_ADDR, value: "resluts:7054"}',
            "no Service resluts",
        ),
        (
            '{name: TONGBAN_GRPC_LISTEN, value: "0.0.0.0:7054"}',
            '{name: TONGBAN_GRPC_LISTEN, value: "127.0.0.1:7054"}',
            "does not bind 0.0.0.0",
        ),
        (
            "{name: TONGBAN_RECORDINGS_DIR, value: /data/recordings}",
            "{name: TONGBAN_RECORDINGS_DIR, value: /data/recording}",
            "is not a mounted volume",
        ),
        (
            "name: TONGBAN_JOIN_SECRET\n",
            "name: TONGBAN_JOIN_SECRETS\n",
            "TONGBAN_JOIN_SECRETS is not read by window",
        ),
        (
            "valueFrom: {secretKeyRef: {name: tongban-secrets, key: TONGBAN_PII_KEYS}}",
            'value: "k1:bm90LWEtc2VjcmV0"',
            "secret TONGBAN_PII_KEYS is not read from a Secret",
        ),
        (
            "key: TONGBAN_CERTIFICATE_SECRET}",
            "key: TONGBAN_CERT_SECRET}",
            "deploycheck/secrets.py makes no TONGBAN_CERT_SECRET",
        ),
    ],
)
def test_a_wrong_environment_is_caught(
    deploy_tools: Path,
    tmp_path: Path,
    settings: dict[str, ProcessSettings],
    good: str,
    bad: str,
    complaint: str,
) -> None:
    """The base, edited one mistake at a time, then rendered: the check names the mistake."""
    copy = tmp_path / "k8s"
    shutil.copytree(deploy_check.REPO_ROOT / "k8s", copy)
    changed = [p for p in (copy / "base").glob("*.yaml") if good in p.read_text()]
    assert changed, good
    for path in changed:
        path.write_text(path.read_text().replace(good, bad, 1))
    done = deploy_check.run(
        [str(deploy_tools / "bin" / "kustomize"), "build", str(copy / "overlays" / "dev")]
    )
    assert done.returncode == 0, done.stderr
    problems = deploy_check.k8s_env_problems(deploy_check.load_docs(done.stdout), settings)
    assert any(complaint in p for p in problems), problems


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_same_settings_as_make_dev(
    overlays: dict[str, Overlay],
    overlay: str,
    settings: dict[str, ProcessSettings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = overlays[overlay].find("ConfigMap")
    shared = {k for c in config if c["metadata"]["name"].startswith("tongban-config") for k in c["data"]}
    for process, spec in settings.items():
        expected = make_dev_names(process, spec, monkeypatch, tmp_path)
        given = set(overlays[overlay].env(process)) | shared
        assert expected <= given, f"{overlay} {process}: make dev sets {expected - given} too"


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_pods_are_hardened(overlays: dict[str, Overlay], overlay: str) -> None:
    assert deploy_check.security_problems(overlays[overlay].docs) == []


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_grpc_services_have_native_grpc_probes(
    overlays: dict[str, Overlay], overlay: str, settings: dict[str, ProcessSettings]
) -> None:
    assert len(grpc_processes(settings)) >= 4
    for process in grpc_processes(settings):
        container = overlays[overlay].container(process)
        port = int(overlays[overlay].env(process)["TONGBAN_GRPC_LISTEN"].rsplit(":", 1)[1])
        assert {"name": "grpc", "containerPort": port} in container["ports"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == port, f"{process} {probe}"


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_autoscalers_and_disruption_budgets(overlays: dict[str, Overlay], overlay: str) -> None:
    o = overlays[overlay]
    scaled = {h["spec"]["scaleTargetRef"]["name"]: h for h in o.find("HorizontalPodAutoscaler")}
    assert set(scaled) == {"gateway", "intake", "window"}
    for name, hpa in scaled.items():
        target = o.workload(name)
        assert hpa["spec"]["scaleTargetRef"]["kind"] == target["kind"]
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    budgets = [p["spec"]["selector"]["matchLabels"] for p in o.find("PodDisruptionBudget")]
    for workload in o.docs:
        labels = workload.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
        if (
            workload["kind"] in {"Deployment", "StatefulSet"}
            and labels.get("app.kubernetes.io/part-of") == "tongban"
        ):
            assert any(b.items() <= labels.items() for b in budgets), workload["metadata"]["name"]


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_window_stays_on_one_pod_until_calls_are_sticky(overlays: dict[str, Overlay], overlay: str) -> None:
    """A live window lives in one pod's memory and the gateway dials the window Service, not
    the pod that holds the window: a second replica would split a case's calls."""
    o = overlays[overlay]
    (hpa,) = [h for h in o.find("HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == "window"]
    assert hpa["spec"]["maxReplicas"] == 1
    assert o.workload("window")["spec"]["replicas"] == 1
    assert o.env("gateway")["TONGBAN_WINDOW_ADDR"].startswith("window:")


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_services_select_pods_and_ports(overlays: dict[str, Overlay], overlay: str) -> None:
    templates = [
        d["spec"]["template"] for d in overlays[overlay].docs if d["kind"] in {"Deployment", "StatefulSet"}
    ]
    for service in overlays[overlay].find("Service"):
        selector = service["spec"]["selector"]
        pods = [t for t in templates if selector.items() <= t["metadata"]["labels"].items()]
        assert pods, f"Service {service['metadata']['name']} selects no pod"
        names = {p.get("name") for c in pods[0]["spec"]["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in names, f"{service['metadata']['name']} {port}"


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_no_secret_is_in_git(overlays: dict[str, Overlay], overlay: str) -> None:
    assert overlays[overlay].find("Secret") == []
    for workload, spec in deploy_check.pod_templates(overlays[overlay].docs):
        for container in spec["containers"]:
            for env in container.get("env", []):
                assert env["name"] not in deploy_secrets.names() or "valueFrom" in env, (
                    f"{workload['metadata']['name']}: {env['name']} has a value in git"
                )


def _host(address: str) -> str:
    return address.rsplit(":", 1)[0]


def test_dev_runs_its_own_engines_where_the_base_looks(overlays: dict[str, Overlay]) -> None:
    dev = overlays["dev"]
    config = next(c for c in dev.find("ConfigMap") if "TONGBAN_KAFKA_BOOTSTRAP" in c["data"])
    services = {s["metadata"]["name"] for s in dev.find("Service")}
    assert _host(config["data"]["TONGBAN_KAFKA_BOOTSTRAP"]) in services
    assert urlsplit(dev.env("intake")["TONGBAN_DATABASE_URL"]).hostname in services
    assert (
        dev.one("StatefulSet", "kafka")["spec"]["template"]["spec"]["containers"][0]["image"]
        == "apache/kafka:4.1.1"
    )
    assert dev.one("Job", "topics")


def test_prod_runs_kafka_and_postgres_through_operators(overlays: dict[str, Overlay]) -> None:
    prod = overlays["prod"]
    assert not prod.find("StatefulSet", "kafka") and not prod.find("Job")
    (kafka,) = prod.find("Kafka")
    pools = prod.find("KafkaNodePool")
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"] for p in pools)
    roles = {role for p in pools for role in p["spec"]["roles"]}
    assert roles == {"controller", "broker"}  # KRaft: no ZooKeeper anywhere
    # per topic (kafka-topics.yaml), never for the whole broker: faust's one-replica reply
    # topics could not take an acks=all write
    assert "min.insync.replicas" not in kafka["spec"]["kafka"]["config"]
    config = next(c for c in prod.find("ConfigMap") if "TONGBAN_KAFKA_BOOTSTRAP" in c["data"])
    # Strimzi names the bootstrap service <cluster>-kafka-bootstrap
    assert _host(config["data"]["TONGBAN_KAFKA_BOOTSTRAP"]) == f"{kafka['metadata']['name']}-kafka-bootstrap"
    (cluster,) = prod.find("Cluster")
    databases = {
        d["spec"]["name"]
        for d in prod.find("Database")
        if d["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    }
    assert databases == {"intake", "results", "gateway"}
    for process in ("intake", "results", "gateway"):
        url = urlsplit(prod.env(process)["TONGBAN_DATABASE_URL"])
        assert url.hostname == f"{cluster['metadata']['name']}-rw"  # CloudNativePG's primary
        assert url.path.lstrip("/") in databases
        assert prod.env(process)["PGPASSWORD"]["secretKeyRef"]["name"] == f"{cluster['metadata']['name']}-app"


def test_prod_services_create_topics_replicated(
    overlays: dict[str, Overlay], settings: dict[str, ProcessSettings]
) -> None:
    prod = overlays["prod"]
    catalogs = [c for c in prod.find("ConfigMap") if "topics.yaml" in c.get("data", {})]
    assert len(catalogs) == 1
    replicated = topics.parse(catalogs[0]["data"]["topics.yaml"])
    assert replicated.replication_factor == 3
    assert replicated.topics == topics.load().topics
    readers = [n for n, s in settings.items() if "TONGBAN_TOPICS_FILE" in s.known]
    assert readers
    for process in readers:
        path = prod.env(process)["TONGBAN_TOPICS_FILE"]
        spec = prod.workload(process)["spec"]["template"]["spec"]
        mount = next(m for m in prod.container(process)["volumeMounts"] if m["name"] == "topics")
        assert path == f"{mount['mountPath']}/topics.yaml"
        volume = next(v for v in spec["volumes"] if v["name"] == "topics")
        assert volume["configMap"]["name"] == catalogs[0]["metadata"]["name"]


def test_prod_shares_files_across_nodes(overlays: dict[str, Overlay]) -> None:
    for claim in overlays["prod"].find("PersistentVolumeClaim"):
        assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for claim in overlays["dev"].find("PersistentVolumeClaim"):
        assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]


def test_namespaces_enforce_restricted_pod_security(overlays: dict[str, Overlay]) -> None:
    for overlay in overlays.values():
        (namespace,) = overlay.find("Namespace")
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        namespaced = [d for d in overlay.docs if d["kind"] != "Namespace"]
        assert {d["metadata"]["namespace"] for d in namespaced} == {namespace["metadata"]["name"]}


def test_kustomizations_are_plain_yaml() -> None:
    # kustomize reads them; a stray tab or duplicate key would only show on a cluster
    for path in (deploy_check.REPO_ROOT / "k8s").rglob("*.yaml"):
        assert list(yaml.safe_load_all(path.read_text())), path
