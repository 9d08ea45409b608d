"""What each process reads from the environment, discovered from its code.

Deployment files (docker-compose.yml, the k8s manifests, the Dockerfiles' ENV) name
TONGBAN_* variables by hand; this module checks them against the settings classes the code
declares, so a required setting added to a service, or a name misspelt in a manifest, fails
a test instead of a deployment. Nothing here is a list kept by hand:

- the processes are those `make dev` runs (tools/stack.py: SERVICES and GATEWAY) whose
  `__main__.py` exists;
- a process's settings class is the one its `__main__.py` hands to `load_or_exit` (or
  `load`), found by reading that file, so a service that switches classes is followed;
- which settings are secrets, listen addresses or addresses of other services follows from
  the field names the code uses (`*_secret`, `*_keys`, `*_credential`; `*_listen`;
  `*_dir`; `<service>_addr`). A secret that is one string (a key, a password) is made by
  deploycheck/secrets.py and must reach every process that reads it; a secret that is a
  list (the gateway's kiosk device keys, one per hall) is the site's to provision, and may
  only come from a Secret.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.shared.settings import describe, env_name
from tools import stack

REPO_ROOT = Path(__file__).resolve().parents[1]
LOADERS = {"load_or_exit", "load"}
SECRET_SUFFIXES = ("_secret", "_keys", "_credential")


class DiscoveryError(RuntimeError):
    """A process's settings class could not be found from its code."""


@dataclass(frozen=True)
class ProcessSettings:
    """The environment contract of one process."""

    process: str
    module: str  # what `python -m` runs
    known: frozenset[str]  # every TONGBAN_* name it reads
    required: frozenset[str]  # the names without a default
    secrets: frozenset[str]  # names that hold keys or passwords: from a Secret, never in git
    generated: frozenset[str]  # the secrets that are one string: made once, set everywhere
    listens: frozenset[str]  # TONGBAN_*_LISTEN: where the process binds
    folders: frozenset[str]  # TONGBAN_*_DIR: where it writes (the root file system is read-only)
    addresses: dict[str, str]  # TONGBAN_<SERVICE>_ADDR -> the service it points at

    def problems(self, names: Iterable[str], where: str) -> list[str]:
        """What is wrong with a container that sets exactly `names` (all, not only TONGBAN_).

        Unknown names (a typo reads as unset, silently) and missing required ones, and
        secrets left unset: a secret with a default is random per process (two replicas
        would disagree) or empty, which no deployment wants.
        """
        given = {n for n in names if n.startswith("TONGBAN_")}
        found = [f"{where}: {n} is not read by {self.process}" for n in sorted(given - self.known)]
        found += [
            f"{where}: {n} is required by {self.process} but not set" for n in sorted(self.required - given)
        ]
        found += [
            f"{where}: secret {n} of {self.process} is not set (it would default)"
            for n in sorted(self.generated - self.required - given)
        ]
        return found


def processes() -> dict[str, str]:
    """Process name -> module, for every process `make dev` runs that exists."""
    return {p.name: p.module for p in [*stack.SERVICES, stack.GATEWAY] if p.exists}


def settings_class(module: str) -> type[Any]:
    """The class `python -m module` loads its settings into, read from its __main__.py."""
    main = REPO_ROOT / Path(*module.split(".")) / "__main__.py"
    tree = ast.parse(main.read_text("utf-8"), str(main))
    imported = {
        alias.asname or alias.name: (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    loaded = [
        node.args[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Name)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) in LOADERS
    ]
    if len(set(loaded)) != 1 or loaded[0] not in imported:
        raise DiscoveryError(f"{main}: expected one load_or_exit(<imported class>), found {loaded}")
    source, name = imported[loaded[0]]
    spec: type[Any] = getattr(importlib.import_module(source), name)
    if not dataclasses.is_dataclass(spec):
        raise DiscoveryError(f"{source}.{name} is not a settings dataclass")
    return spec


def contract(process: str, module: str, spec: type[Any]) -> ProcessSettings:
    fields = dataclasses.fields(spec)
    hints = typing.get_type_hints(spec)
    secrets = {f.name for f in fields if f.name.endswith(SECRET_SUFFIXES)}
    required = {
        env_name(f.name)
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    services = {p.name for p in stack.SERVICES}
    return ProcessSettings(
        process=process,
        module=module,
        known=frozenset(describe(spec)),
        required=frozenset(required),
        secrets=frozenset(env_name(n) for n in secrets),
        generated=frozenset(env_name(n) for n in secrets if hints[n] is str),
        listens=frozenset(env_name(f.name) for f in fields if f.name.endswith("_listen")),
        folders=frozenset(env_name(f.name) for f in fields if f.name.endswith("_dir")),
        addresses={
            env_name(f.name): f.name.removesuffix("_addr")
            for f in fields
            if f.name.endswith("_addr") and f.name.removesuffix("_addr") in services
        },
    )


def discover() -> dict[str, ProcessSettings]:
    """Every process that exists today, with the settings its code reads."""
    found = {name: contract(name, module, settings_class(module)) for name, module in processes().items()}
    if not found:
        raise DiscoveryError("no process found in tools/stack.py")
    return found


def generated_secrets(found: dict[str, ProcessSettings] | None = None) -> list[str]:
    """Every one-string secret any process reads (one value per name, shared by them all)."""
    found = discover() if found is None else found
    return sorted({n for s in found.values() for n in s.generated})
