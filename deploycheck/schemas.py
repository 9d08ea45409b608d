"""JSON schemas for kubeconform, made offline from what the package registries ship.

    python -m deploycheck.schemas kubernetes OUT WHEEL VERSION...
    python -m deploycheck.schemas crds OUT CRD.yaml...

kubernetes: the wheel of the PyPI package kubernetes-validate holds Kubernetes' schemas per
version, split into one file per kind plus a shared _definitions.json referenced by absolute
paths that only its own loader resolves. Each kind becomes one standalone schema (the
definitions it reaches copied in), at OUT/v<VERSION>-standalone-strict/<kind>-<group>-<v>.json:
kubeconform's default layout, so `-schema-location OUT/{{ .NormalizedKubernetesVersion }}-
standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json` finds them.

crds: CustomResourceDefinitions (Strimzi, CloudNativePG) become
OUT/<group>/<kind>_<version>.json, strict like the Kubernetes ones: an object that lists its
properties accepts no others (unless the CRD keeps unknown fields), so a misspelt field in a
Kafka or Cluster resource fails the check instead of being silently dropped.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml

WHEEL_PREFIX = "kubernetes_validate/kubernetes-json-schema/"
DEFINITIONS = "/api/_definitions.json#/$defs/"


# ------------------------------------------------------------------ Kubernetes schemas


def _local_refs(node: Any, needed: set[str]) -> Any:
    """`node` with every definitions reference made local (#/$defs/X); collects the names."""
    if isinstance(node, list):
        return [_local_refs(item, needed) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and "#/$defs/" in value:
            name = value.split("#/$defs/", 1)[1]
            needed.add(name)
            out[key] = "#/$defs/" + name
        else:
            out[key] = _local_refs(value, needed)
    return out


def standalone(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """One kind's schema with the definitions it reaches, transitively, embedded."""
    needed: set[str] = set()
    root: dict[str, Any] = _local_refs(schema, needed)
    defs: dict[str, Any] = {}
    while needed - defs.keys():
        name = sorted(needed - defs.keys())[0]
        defs[name] = _local_refs(definitions[name], needed)
    root.pop("$id", None)  # its relative $id would rebase the local references
    root["$defs"] = defs
    return root


def kubernetes(out: Path, wheel: Path, versions: list[str]) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for version in versions:
            folder = f"{WHEEL_PREFIX}v{version}-local-strict/"
            if folder + "_definitions.json" not in names:
                raise SystemExit(f"{wheel} has no schemas for Kubernetes {version}")
            definitions = json.loads(archive.read(folder + "_definitions.json"))["$defs"]
            target = out / f"v{version}-standalone-strict"
            target.mkdir(parents=True, exist_ok=True)
            count = 0
            for name in sorted(n for n in names if n.startswith(folder)):
                schema = json.loads(archive.read(name))
                if "x-kubernetes-group-version-kind" not in schema:
                    continue  # a part of a kind, not a kind: reached through $defs
                text = json.dumps(standalone(schema, definitions), separators=(",", ":"))
                (target / name[len(folder) :]).write_text(text, "utf-8")
                count += 1
            print(f"{target}: {count} kinds")


# ------------------------------------------------------------------ CRD schemas


def strict(schema: Any) -> Any:
    """The OpenAPI v3 schema of a CRD as a JSON schema that rejects unknown fields."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    keeps_unknown = out.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in out and "additionalProperties" not in out and not keeps_unknown:
        out["additionalProperties"] = False
    return out


def crd_schemas(crd: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Relative path -> JSON schema, one per served version of one CRD."""
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"]
    found: dict[str, dict[str, Any]] = {}
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        schema = strict(version["schema"]["openAPIV3Schema"])
        properties = schema.setdefault("properties", {})
        # pin the identity, so a resource is never checked against another kind's schema
        properties["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
        properties["kind"] = {"type": "string", "enum": [kind]}
        found[f"{group}/{kind.lower()}_{version['name']}.json"] = schema
    return found


def crds(out: Path, files: list[Path]) -> None:
    for path in files:
        for crd in yaml.safe_load_all(path.read_text("utf-8")):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            for relative, schema in crd_schemas(crd).items():
                target = out / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema, indent=1, sort_keys=True), "utf-8")
                print(f"wrote {target}")


def main(argv: list[str]) -> int:
    if len(argv) >= 5 and argv[1] == "kubernetes":
        kubernetes(Path(argv[2]), Path(argv[3]), argv[4:])
    elif len(argv) >= 4 and argv[1] == "crds":
        crds(Path(argv[2]), [Path(a) for a in argv[3:]])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
