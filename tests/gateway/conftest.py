"""The gateway tests' real stack: the four services as processes and a gateway, in a topic
namespace of their own, started once for the gateway package and stopped when its last
test is done."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from services.shared.catalog import load_catalog
from tests.gateway.gateway_support import KIOSK_PROVINCE, RealStack, real_stack


@pytest.fixture(scope="package")
async def stack(kafka_bootstrap: str, postgres_url: str) -> AsyncIterator[RealStack]:
    async with real_stack(kafka_bootstrap, postgres_url) as running:
        yield running


@pytest.fixture(scope="package")
def provinces() -> Iterator[str]:
    """Target provinces for the tests sharing the stack: the Hefei kiosk's own is not
    cross-province, and the development accounts' (Shanghai) is what tests name outright."""
    return iter([p.code for p in load_catalog().provinces() if p.code not in {KIOSK_PROVINCE, "310000"}])


@pytest.fixture
def province(provinces: Iterator[str]) -> str:
    """A target province no other test of this stack uses: its officials are offered only
    this test's cases."""
    found = next(provinces, None)
    if found is None:
        raise RuntimeError("more gateway tests want a province of their own than there are")
    return found
