"""The deploy tools (built once by deploycheck/build_tools.sh, cached in .stack/tools/) and the
rendered k8s overlays, shared by every test in tests/deploy."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploycheck import check as deploy_check
from deploycheck.settings import ProcessSettings, discover
from tests.deploy.deploy_support import Overlay


@pytest.fixture(scope="session")
def deploy_tools() -> Path:
    return deploy_check.install_tools()


@pytest.fixture(scope="session")
def settings() -> dict[str, ProcessSettings]:
    found = discover()
    assert found, "no settings class found at all: the discovery itself is broken"
    return found


@pytest.fixture(scope="session")
def overlays(deploy_tools: Path) -> dict[str, Overlay]:
    rendered = {}
    for name in deploy_check.OVERLAYS:
        text = deploy_check.render(deploy_tools, name)
        rendered[name] = Overlay(name, text, deploy_check.load_docs(text))
    return rendered
