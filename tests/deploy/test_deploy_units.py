"""The small pure parts of the deploy tooling: schema conversion and settings discovery."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import pytest

from deploycheck import schemas as deploy_schemas
from deploycheck import secrets as deploy_secrets
from deploycheck import settings as deploy_settings
from services.shared import pii
from services.shared.settings import describe, setting
from tools import stack


def test_crd_schemas_become_strict_except_where_fields_are_free() -> None:
    crd = {
        "spec": {
            "group": "example.io",
            "names": {"kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "size": {"type": "integer", "nullable": True},
                                        "config": {
                                            "type": "object",
                                            "x-kubernetes-preserve-unknown-fields": True,
                                            "properties": {"known": {"type": "string"}},
                                        },
                                    },
                                },
                            },
                        }
                    },
                },
                {"name": "v0", "served": False, "schema": {"openAPIV3Schema": {}}},
            ],
        }
    }
    ((path, schema),) = deploy_schemas.crd_schemas(crd).items()
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
    grpc_listen: str = setting("where it binds", "127.0.0.1:1")
    token_secret: str = setting("random per process when empty", "")
    hall_keys: list[str] = setting("site-provisioned keys", [])
    intake_addr: str = setting("a service it calls", "127.0.0.1:7051")
    elsewhere_addr: str = setting("not a Tongban service", "127.0.0.1:1")
    spool_dir: str = setting("where it writes", ".stack/spool")


def test_the_contract_follows_the_field_names() -> None:
    spec = deploy_settings.contract("example", "example", _Example)
    assert spec.required == {"TONGBAN_NEEDED"}
    assert spec.known >= {"TONGBAN_NEEDED", "TONGBAN_OPTIONAL", "TONGBAN_LISTED"}
    assert spec.secrets == {"TONGBAN_TOKEN_SECRET", "TONGBAN_HALL_KEYS"}
    assert spec.generated == {"TONGBAN_TOKEN_SECRET"}  # one string: made and shared
    assert spec.listens == {"TONGBAN_GRPC_LISTEN"}
    assert spec.addresses == {"TONGBAN_INTAKE_ADDR": "intake"}
    assert spec.folders == {"TONGBAN_SPOOL_DIR"}


def test_settings_problems_name_unknown_missing_and_defaulted_secrets() -> None:
    spec = deploy_settings.contract("example", "example", _Example)
    assert spec.problems(["TONGBAN_NEEDED", "TONGBAN_TOKEN_SECRET", "PGPASSWORD"], "here") == []
    assert spec.problems(["TONGBAN_OPTINAL"], "here") == [
        "here: TONGBAN_OPTINAL is not read by example",
        "here: TONGBAN_NEEDED is required by example but not set",
        "here: secret TONGBAN_TOKEN_SECRET of example is not set (it would default)",
    ]


def test_discovery_follows_make_dev_and_each_main() -> None:
    found = deploy_settings.discover()
    assert set(found) == {p.name for p in [*stack.SERVICES, stack.GATEWAY] if p.exists}
    assert {"intake", "routing", "window", "results", "gateway"} <= set(found)
    from services.intake.config import IntakeSettings

    assert deploy_settings.settings_class("services.intake") is IntakeSettings
    assert found["intake"].known == frozenset(describe(IntakeSettings))
    assert found["gateway"].addresses["TONGBAN_WINDOW_ADDR"] == "window"


def test_a_main_without_a_settings_class_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "svc"
    package.mkdir()
    (package / "__main__.py").write_text("def main() -> None:\n    print('no settings')\n")
    monkeypatch.setattr(deploy_settings, "REPO_ROOT", tmp_path)
    with pytest.raises(deploy_settings.DiscoveryError):
        deploy_settings.settings_class("svc")
    (package / "__main__.py").write_text(
        "from services.routing.config import RoutingSettings as Chosen\n"
        "from services.shared.settings import load_or_exit\n"
        "settings = load_or_exit(Chosen)\n"
    )
    from services.routing.config import RoutingSettings

    assert deploy_settings.settings_class("svc") is RoutingSettings  # through the alias


def test_secrets_are_made_for_every_secret_the_code_reads(tmp_path: Path) -> None:
    names = deploy_secrets.names()
    assert names == deploy_settings.generated_secrets()
    assert {"TONGBAN_PII_KEYS", "TONGBAN_JOIN_SECRET", "TONGBAN_TURN_SECRET"} <= set(names)
    values = deploy_secrets.generate()
    pii.Keyring.parse(values["TONGBAN_PII_KEYS"])  # the form intake and results accept
    for name, value in values.items():
        if name.endswith("_SECRET") and name != "TONGBAN_TURN_SECRET":
            assert len(base64.b64decode(value, validate=True)) == 32, name
    assert values["TONGBAN_TURN_SECRET"].isalnum()  # coturn's --static-auth-secret=…
    # an existing .env keeps its values and gains only what it lacks
    env = tmp_path / ".env"
    env.write_text("TONGBAN_PII_KEYS=k0:kept\n")
    added = deploy_secrets.write_env(env)
    assert "TONGBAN_PII_KEYS" not in added and set(added) == set(names) - {"TONGBAN_PII_KEYS"}
    assert deploy_secrets.read_env(env)["TONGBAN_PII_KEYS"] == "k0:kept"
    assert deploy_secrets.write_env(env) == []
    fresh = tmp_path / "fresh.env"
    deploy_secrets.write_env(fresh)
    assert fresh.stat().st_mode & 0o777 == 0o600
