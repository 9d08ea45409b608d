"""The NetworkPolicies allow exactly the intended call graph, evaluated on the rendered
manifests: from outside only the gateway and TURN; each service only from its callers."""

from __future__ import annotations

import pytest

from deploycheck import check as deploy_check
from deploycheck.netpol import Cluster, Pod, pods_of
from deploycheck.settings import ProcessSettings
from tests.deploy.deploy_support import Overlay


def callers(settings: dict[str, ProcessSettings]) -> dict[str, set[str]]:
    """Service -> the processes that call it, from the <service>_ADDR settings each reads
    (the gateway calls every service; window calls intake for document-camera snapshots)."""
    found: dict[str, set[str]] = {
        name: set() for name, s in settings.items() if "TONGBAN_GRPC_LISTEN" in s.listens
    }
    for caller, spec in settings.items():
        for callee in spec.addresses.values():
            if callee in found:
                found[callee].add(caller)
    return found


def clients(settings: dict[str, ProcessSettings], setting: str) -> set[str]:
    return {name for name, s in settings.items() if setting in s.known}


def pods_by_name(overlay: Overlay) -> dict[str, Pod]:
    return {p.name: p for p in pods_of(overlay.docs)}


def world(overlay: Overlay) -> tuple[Cluster, dict[str, Pod], list[Pod]]:
    pods = {p.name: p for p in pods_of(overlay.docs)}
    namespace = next(iter(pods.values())).namespace
    if overlay.name == "prod":  # pods the operators create, with the labels they give them
        pods["tongban-pg"] = Pod(
            "tongban-pg", namespace, {"cnpg.io/cluster": "tongban-pg"}, {"postgres": (5432, "TCP")}
        )
    strangers = [
        Pod("internet", None, {}),
        Pod("other-namespace", "elsewhere", {}),
        # a pod of another namespace wearing Tongban's labels gains nothing
        Pod(
            "impostor",
            "elsewhere",
            {
                "app.kubernetes.io/name": "gateway",
                "tongban.io/kafka-client": "true",
                "tongban.io/postgres-client": "true",
            },
        ),
    ]
    return Cluster(overlay.docs), pods, strangers


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_each_service_is_reachable_only_by_its_callers(
    overlays: dict[str, Overlay], overlay: str, settings: dict[str, ProcessSettings]
) -> None:
    cluster, pods, strangers = world(overlays[overlay])
    graph = callers(settings)
    assert graph["intake"] == {"gateway", "window"} and graph["results"] == {"gateway"}
    for service, expected in graph.items():
        port = deploy_check.port_of(overlays[overlay].env(service)["TONGBAN_GRPC_LISTEN"])
        reached_by = {p.name for p in [*pods.values(), *strangers] if cluster.allows(p, pods[service], port)}
        assert reached_by == expected, service


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_from_outside_only_the_gateway_and_turn(overlays: dict[str, Overlay], overlay: str) -> None:
    cluster, pods, strangers = world(overlays[overlay])
    for stranger in strangers:
        assert cluster.allows(stranger, pods["gateway"], 8080)
        assert cluster.allows(stranger, pods["turn"], 3478, "UDP")
        assert cluster.allows(stranger, pods["turn"], 3478, "TCP")
        assert not cluster.allows(stranger, pods["turn"], 50000, "UDP")  # relay ports
        assert not cluster.allows(stranger, pods["window"], 50000, "UDP")  # media
        for name, pod in pods.items():
            for port, proto in pod.ports.values():
                if name not in {"gateway", "turn"}:
                    assert not cluster.allows(stranger, pod, port, proto), (stranger.name, name)


def test_engines_accept_only_their_clients(
    overlays: dict[str, Overlay], settings: dict[str, ProcessSettings]
) -> None:
    postgres_clients = clients(settings, "TONGBAN_DATABASE_URL")
    assert {"intake", "results", "gateway"} <= postgres_clients
    for overlay in ("dev", "prod"):
        cluster, pods, strangers = world(overlays[overlay])
        postgres = pods["tongban-pg"]
        reached = {
            p.name
            for p in [*pods.values(), *strangers]
            if p is not postgres and cluster.allows(p, postgres, 5432)
        }
        assert reached == postgres_clients, overlay
    cluster, pods, strangers = world(overlays["dev"])  # prod's Kafka policy is Strimzi's own
    reached = {
        p.name
        for p in [*pods.values(), *strangers]
        if p.name != "kafka" and cluster.allows(p, pods["kafka"], 9092)
    }
    assert reached == clients(settings, "TONGBAN_KAFKA_BOOTSTRAP") | {"topics"}
    # prod: Strimzi turns the listener's networkPolicyPeers into its policy; they must name
    # exactly the label every Kafka client carries, and no one else
    prod = overlays["prod"]
    (kafka,) = prod.find("Kafka")
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    (peer,) = listener["networkPolicyPeers"]
    labelled = {
        name
        for name in pods_by_name(prod)
        if peer["podSelector"]["matchLabels"].items() <= pods_by_name(prod)[name].labels.items()
    }
    assert labelled == clients(settings, "TONGBAN_KAFKA_BOOTSTRAP")


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_media_flows_between_turn_and_windows_only(overlays: dict[str, Overlay], overlay: str) -> None:
    cluster, pods, _ = world(overlays[overlay])
    turn, window = pods["turn"], pods["window"]
    assert cluster.allows(turn, window, 51000, "UDP")  # relay -> window host candidate
    assert cluster.allows(window, turn, 51000, "UDP")  # window -> a browser's relay
    assert cluster.allows(turn, turn, 51000, "UDP")  # relay to relay across TURN pods
    for name, pod in pods.items():  # an authenticated TURN client cannot reach past TURN
        for port, proto in pod.ports.values():
            if name not in {"window", "turn"}:
                assert not cluster.allows(turn, pod, port, proto), name


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_metrics_only_from_the_monitoring_namespace(
    overlays: dict[str, Overlay], overlay: str, settings: dict[str, ProcessSettings]
) -> None:
    cluster, pods, strangers = world(overlays[overlay])
    prometheus = Pod("prometheus", "monitoring", {"app": "prometheus"})
    for service in [n for n, s in settings.items() if "TONGBAN_METRICS_LISTEN" in s.listens]:
        port = pods[service].ports["metrics"][0]
        assert cluster.allows(prometheus, pods[service], port)
        assert not any(cluster.allows(s, pods[service], port) for s in strangers)
        assert not cluster.allows(pods["gateway"], pods[service], port)


def test_the_evaluator_notices_a_hole(overlays: dict[str, Overlay]) -> None:
    dev = overlays["dev"]
    open_docs = [
        d
        for d in dev.docs
        if d["kind"] != "NetworkPolicy"
        or d["metadata"]["name"] not in {"default-deny-ingress", "results", "metrics"}
    ]
    holed = Overlay("dev", "", open_docs)
    cluster, pods, strangers = world(holed)
    assert cluster.allows(strangers[0], pods["results"], 7054)
    widened = [dict(d) for d in dev.docs]
    for doc in widened:  # intake's rule opened to every namespace
        if doc["kind"] == "NetworkPolicy" and doc["metadata"]["name"] == "intake":
            doc["spec"] = {**doc["spec"], "ingress": [{"from": [{"namespaceSelector": {}}]}]}
    cluster, pods, strangers = world(Overlay("dev", "", widened))
    assert cluster.allows(strangers[1], pods["intake"], 7051)
    assert not cluster.allows(strangers[0], pods["intake"], 7051)  # still not the internet


@pytest.mark.parametrize("overlay", deploy_check.OVERLAYS)
def test_the_window_sends_only_to_turn_intake_kafka_and_dns(
    overlays: dict[str, Overlay], overlay: str
) -> None:
    """A party's offer names where ICE checks go; the window pod's egress policy keeps them
    to TURN whatever the offer says (docs/security.md, finding 1)."""
    cluster, pods, strangers = world(overlays[overlay])
    window = pods["window"]
    assert cluster.allows(window, pods["turn"], 3478, "UDP") and cluster.allows(
        window, pods["turn"], 3478, "TCP"
    )
    assert cluster.allows(window, pods["turn"], 51000, "UDP")  # its relays
    assert cluster.allows(window, pods["intake"], 7051)
    if "kafka" in pods:  # the dev overlay's own broker (prod's are the operator's)
        assert cluster.allows(window, pods["kafka"], 9092)
    dns = Pod("coredns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": (53, "UDP")})
    assert cluster.allows(window, dns, 53, "UDP")
    for name, pod in pods.items():
        for port, proto in pod.ports.values():
            if name not in {"turn", "intake", "kafka", "window"}:
                assert not cluster.allows(window, pod, port, proto), (name, port)
    for stranger in strangers:  # the internet, other namespaces
        assert not cluster.allows(window, stranger, 51000, "UDP")
        assert not cluster.allows(window, stranger, 443)
