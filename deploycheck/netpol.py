"""What rendered NetworkPolicies allow, evaluated offline by the API's rules.

A connection from pod A to port P of pod B is allowed when B's namespace has no Ingress
policy selecting B, or one of those policies has a rule whose peers include A and whose
ports include P; and likewise for A's Egress policies towards B. Used by the tests to check
the intended call graph ("window reaches intake, nothing else does but the gateway") on the
manifests kustomize renders, rather than trusting their comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


@dataclass(frozen=True)
class Pod:
    """A pod as policies see it; namespace None is a client outside the cluster."""

    name: str
    namespace: str | None
    labels: dict[str, str]
    ports: dict[str, tuple[int, str]] = field(default_factory=dict)  # port name -> (n, proto)


def pods_of(docs: list[Doc]) -> list[Pod]:
    """One pod per workload template in the rendered manifests."""
    found = []
    for doc in docs:
        if doc.get("kind") not in WORKLOADS:
            continue
        template = doc["spec"]["template"]
        ports = {
            p["name"]: (int(p["containerPort"]), p.get("protocol", "TCP"))
            for c in template["spec"]["containers"]
            for p in c.get("ports", [])
            if "name" in p
        }
        found.append(
            Pod(
                doc["metadata"]["name"],
                doc["metadata"].get("namespace", "default"),
                dict(template["metadata"].get("labels", {})),
                ports,
            )
        )
    return found


def selects(selector: Doc | None, labels: dict[str, str]) -> bool:
    """A label selector; an empty one selects everything."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


class Cluster:
    def __init__(self, docs: list[Doc]) -> None:
        self.policies = [d for d in docs if d.get("kind") == "NetworkPolicy"]
        self.namespace_labels: dict[str, dict[str, str]] = {}
        for doc in docs:
            if doc.get("kind") == "Namespace":
                self.namespace_labels[doc["metadata"]["name"]] = dict(doc["metadata"].get("labels", {}))

    def _ns_labels(self, namespace: str) -> dict[str, str]:
        labels = dict(self.namespace_labels.get(namespace, {}))
        labels["kubernetes.io/metadata.name"] = namespace  # set on every namespace
        return labels

    def _peer_matches(self, peer: Doc, policy_ns: str, pod: Pod) -> bool:
        if pod.namespace is None:  # outside the cluster: only ipBlocks name it
            return "ipBlock" in peer
        if "ipBlock" in peer:
            return False  # pod addresses are not what ipBlocks are for
        if "namespaceSelector" in peer:
            if not selects(peer["namespaceSelector"], self._ns_labels(pod.namespace)):
                return False
        elif pod.namespace != policy_ns:
            return False
        return "podSelector" not in peer or selects(peer["podSelector"], pod.labels)

    @staticmethod
    def _port_matches(rule_ports: list[Doc] | None, target: Pod, port: int, proto: str) -> bool:
        if not rule_ports:
            return True
        for item in rule_ports:
            if item.get("protocol", "TCP") != proto:
                continue
            wanted = item.get("port")
            if wanted is None:
                return True
            if isinstance(wanted, str):  # a named port of the destination pod
                if target.ports.get(wanted) == (port, proto):
                    return True
            elif int(wanted) <= port <= int(item.get("endPort") or wanted):
                return True
        return False

    def _direction_allows(
        self, kind: str, subject: Pod, other: Pod, target: Pod, port: int, proto: str
    ) -> bool:
        """Whether `subject`'s policies of `kind` (Ingress/Egress) let it talk to `other`."""
        if subject.namespace is None:
            return True  # outside the cluster: no policy applies
        selecting = [
            p
            for p in self.policies
            if p["metadata"].get("namespace", "default") == subject.namespace
            and selects(p["spec"].get("podSelector"), subject.labels)
            and kind in p["spec"].get("policyTypes", ["Ingress"])
        ]
        if not selecting:
            return True
        peers_key = "from" if kind == "Ingress" else "to"
        for policy in selecting:
            policy_ns = policy["metadata"].get("namespace", "default")
            for rule in policy["spec"].get(kind.lower()) or []:
                peers = rule.get(peers_key)
                peer_ok = not peers or any(self._peer_matches(p, policy_ns, other) for p in peers)
                if peer_ok and self._port_matches(rule.get("ports"), target, port, proto):
                    return True
        return False

    def allows(self, source: Pod, target: Pod, port: int, proto: str = "TCP") -> bool:
        return self._direction_allows(
            "Egress", source, target, target, port, proto
        ) and self._direction_allows("Ingress", target, source, target, port, proto)
