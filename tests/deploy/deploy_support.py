"""Helpers for tests/deploy (a uniquely named module, not conftest, so tests import it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from deploycheck.settings import ProcessSettings
from tools import stack

Doc = dict[str, Any]


@dataclass(frozen=True)
class Overlay:
    name: str
    text: str
    docs: list[Doc]

    def find(self, kind: str, name: str | None = None) -> list[Doc]:
        return [d for d in self.docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]

    def one(self, kind: str, name: str) -> Doc:
        found = self.find(kind, name)
        assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
        return found[0]

    def workload(self, name: str) -> Doc:
        found = [
            d
            for d in self.docs
            if d["kind"] in {"Deployment", "StatefulSet"} and d["metadata"]["name"] == name
        ]
        assert len(found) == 1, f"workload {name}: {len(found)} found"
        return found[0]

    def container(self, name: str) -> Doc:
        containers = self.workload(name)["spec"]["template"]["spec"]["containers"]
        return next(c for c in containers if c["name"] == name)

    def env(self, name: str) -> dict[str, Any]:
        """A container's env: plain values as strings, references as their dicts."""
        return {e["name"]: e.get("value", e.get("valueFrom")) for e in self.container(name).get("env", [])}


def make_dev_names(
    process: str, settings: ProcessSettings, monkeypatch: pytest.MonkeyPatch, tmp: Any
) -> set[str]:
    """The settings `make dev` passes to `process` (tools/stack.py) that it reads."""
    for name in list(os.environ):
        if name.startswith("TONGBAN_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(stack, "STACK", tmp)  # its dev secrets are made there, not in .stack
    target = next(p for p in [*stack.SERVICES, stack.GATEWAY] if p.name == process)
    return set(stack.service_env(target)) & settings.known
