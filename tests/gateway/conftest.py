"""The gateway package's real stack: started once for every gateway test module that asks
for it, torn down after the last one."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator

import pytest
from gateway_support import RealStack, real_stack

from services.shared.catalog import load_catalog

# The Hefei kiosk's own province cannot be a target (not cross-province), and Shanghai is
# the browser journey's: every other test gets a province of its own, so no case one test
# leaves queued is ever offered to another test's official.
RESERVED = {"340000", "310000"}
_provinces: Iterator[str] = itertools.cycle(
    [p.code for p in load_catalog().provinces() if p.code not in RESERVED])


@pytest.fixture(scope="package")
async def stack(kafka_bootstrap: str, postgres_url: str,
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RealStack]:
    async with real_stack(kafka_bootstrap, postgres_url,
                          str(tmp_path_factory.mktemp("gateway-stack"))) as running:
        yield running


def next_province() -> str:
    return next(_provinces)


@pytest.fixture
def province() -> str:
    """A target province no other gateway test uses."""
    return next_province()
