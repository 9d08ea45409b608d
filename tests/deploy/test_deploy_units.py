"""The small pure parts of the deploy tooling: schema conversion and settings discovery."""

from __future__ import annotations

import dataclasses

import pytest

from services.shared.settings import setting
from tools import deploy_schemas, deploy_settings


def test_crd_schemas_become_strict_except_where_fields_are_free() -> None:
    crd = {"spec": {"group": "example.io", "names": {"kind": "Widget"}, "versions": [
        {"name": "v1", "served": True, "schema": {"openAPIV3Schema": {
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {
                    "size": {"type": "integer", "nullable": True},
                    "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                               "properties": {"known": {"type": "string"}}},
                }},
            }}}},
        {"name": "v0", "served": False, "schema": {"openAPIV3Schema": {}}},
    ]}}
    (path, schema), = deploy_schemas.crd_schemas(crd).items()
    assert path == "example.io/widget_v1.json"
    spec = schema["properties"]["spec"]
    assert spec["additionalProperties"] is False
    assert spec["properties"]["size"]["type"] == ["integer", "null"]
    assert "additionalProperties" not in spec["properties"]["config"]
    assert schema["properties"]["kind"]["enum"] == ["Widget"]
    assert schema["properties"]["apiVersion"]["enum"] == ["example.io/v1"]


def test_kubernetes_schemas_embed_what_they_reach() -> None:
    definitions = {
        "A": {"properties": {"b": {"$ref": "/api/_definitions.json#/$defs/B"}}},
        "B": {"properties": {"c": {"$ref": "#/$defs/C"}}},
        "C": {"type": "string"},
        "Unused": {"type": "string"},
    }
    kind = {"$id": "/api/a.json", "properties": {"a": {"$ref": "/api/_definitions.json#/$defs/A"}}}
    out = deploy_schemas.standalone(kind, definitions)
    assert "$id" not in out
    assert set(out["$defs"]) == {"A", "B", "C"}
    assert out["properties"]["a"]["$ref"] == "#/$defs/A"
    assert out["$defs"]["A"]["properties"]["b"]["$ref"] == "#/$defs/B"


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Example:
    needed: str = setting("a required value")
    optional: int = setting("has a default", 3)
    listed: list[str] = setting("a list default", [])


def test_settings_problems_name_unknown_and_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(deploy_settings.PROCESSES, "example", (__name__, "_Example"))
    spec = deploy_settings.load_process("example")
    assert spec is not None
    assert spec.required == {"TONGBAN_NEEDED"}
    assert spec.known == {"TONGBAN_NEEDED", "TONGBAN_OPTIONAL", "TONGBAN_LISTED"}
    assert spec.problems(["TONGBAN_NEEDED", "PGPASSWORD"], "here") == []
    assert spec.problems(["TONGBAN_OPTINAL"], "here") == [
        "here: TONGBAN_OPTINAL is not read by example",
        "here: TONGBAN_NEEDED is required by example but not set",
    ]


def test_a_service_without_config_yet_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(deploy_settings.PROCESSES, "future",
                        ("services.future.config", "FutureSettings"))
    assert deploy_settings.load_process("future") is None
    assert "future" not in deploy_settings.discover()
