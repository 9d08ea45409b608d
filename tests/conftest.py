"""The suite's engines (tests/engines.py) and its markers.

Every test gets exactly one of three markers, from what it uses, so a new test is marked
without anyone thinking of it:

- `browser`: it drives Chromium (the `browser_sandbox` fixture);
- `integration`: it needs a real engine, a service process or real media: a fixture below
  (or one built on it, as every service fixture is);
- `unit`: none of that. Pure rules; `make test-fast` runs these.

A test module may also say so itself (`pytestmark = pytest.mark.integration`), for a test
that starts a process or opens a connection without one of these fixtures.

Tests that need a tool built from source (SeaweedFS, the deploy checks' tools) run last: on
a machine with empty caches CI builds those beside the rest of the suite, and such a test
waits for its build to finish (both builds hold a lock while they run).
"""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.engines"]

KINDS = ("unit", "integration", "browser")
BROWSER_FIXTURES = {"browser_sandbox"}
INTEGRATION_FIXTURES = {
    "kafka_bootstrap",  # tests/engines.py
    "postgres_url",
    "topic_namespace",
    "s3_node",
    "own_s3",
    "turn_server",
    "deploy_tools",  # tests/deploy: kustomize, kubeconform, ... as processes
    "media",  # tests/window: real WebRTC between aiortc peers
}
BUILT_FIXTURES = {"s3_node", "own_s3", "deploy_tools"}


def kind_of(item: pytest.Item) -> str:
    declared = [mark.name for mark in item.iter_markers() if mark.name in KINDS]
    if declared:
        return declared[0]
    used = set(getattr(item, "fixturenames", ()))
    if used & BROWSER_FIXTURES:
        return "browser"
    if used & INTEGRATION_FIXTURES:
        return "integration"
    return "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        kind = kind_of(item)
        if not item.get_closest_marker(kind):
            item.add_marker(kind)
    items.sort(key=lambda item: bool(BUILT_FIXTURES & set(getattr(item, "fixturenames", ()))))
