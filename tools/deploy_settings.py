"""What each process reads from the environment, discovered from its code.

Deployment files (docker-compose.yml, the k8s manifests, the Dockerfile's ENV) name TONGBAN_*
variables by hand; this module checks them against the settings classes the code declares,
so a required setting added to a service, or a name misspelt in a manifest, fails a test
instead of a deployment. Services land one by one: a process whose `config.py` does not
exist yet is simply absent from `discover()`.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterable
from dataclasses import dataclass

from services.shared.settings import describe, env_name

# process name -> (module, settings class), by the project's naming convention
PROCESSES: dict[str, tuple[str, str]] = {
    "intake": ("services.intake.config", "IntakeSettings"),
    "routing": ("services.routing.config", "RoutingSettings"),
    "window": ("services.window.config", "WindowSettings"),
    "results": ("services.results.config", "ResultsSettings"),
    "gateway": ("gateway.config", "GatewaySettings"),
}


@dataclass(frozen=True)
class ProcessSettings:
    """The environment contract of one process."""

    process: str
    known: frozenset[str]  # every TONGBAN_* name it reads
    required: frozenset[str]  # the names without a default

    def problems(self, names: Iterable[str], where: str) -> list[str]:
        """What is wrong with a container that sets exactly `names` (all, not only TONGBAN_)."""
        given = {n for n in names if n.startswith("TONGBAN_")}
        found = [f"{where}: {n} is not read by {self.process}" for n in sorted(given - self.known)]
        found += [f"{where}: {n} is required by {self.process} but not set"
                  for n in sorted(self.required - given)]
        return found


def load_process(process: str) -> ProcessSettings | None:
    """The settings of `process`, or None while its config module does not exist yet."""
    module_name, class_name = PROCESSES[process]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None  # the module itself is missing, not something it imports
        raise
    spec = getattr(module, class_name)
    required = {
        env_name(f.name) for f in dataclasses.fields(spec)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    return ProcessSettings(process, frozenset(describe(spec)), frozenset(required))


def discover() -> dict[str, ProcessSettings]:
    """Every process whose settings class exists today."""
    found = {name: load_process(name) for name in PROCESSES}
    return {name: s for name, s in found.items() if s is not None}
