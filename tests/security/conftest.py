"""The security tests' real stack: the gateway tests' own (tests/gateway/gateway_support.py:
the four services as processes, a gateway on a free port), started by the first module
that asks for it and stopped after the last, as tests/gateway/conftest.py does."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "gateway"))  # gateway_support, browser_journey

from gateway_support import RealStack, next_province, real_stack  # noqa: E402


class Shared:
    modules: set[str] = set()
    stack: RealStack | None = None
    closing: contextlib.AsyncExitStack | None = None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    Shared.modules = {
        str(item.path)
        for item in items
        if item.path.parent == HERE and "stack" in getattr(item, "fixturenames", ())
    }


@pytest.fixture(scope="module")
async def stack(
    request: pytest.FixtureRequest,
    kafka_bootstrap: str,
    postgres_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RealStack]:
    if Shared.stack is None:
        Shared.closing = contextlib.AsyncExitStack()
        Shared.stack = await Shared.closing.enter_async_context(
            real_stack(kafka_bootstrap, postgres_url, str(tmp_path_factory.mktemp("security-stack")))
        )
    try:
        yield Shared.stack
    finally:
        Shared.modules.discard(str(request.path))
        if not Shared.modules and Shared.closing is not None:
            closing, Shared.closing, Shared.stack = Shared.closing, None, None
            await closing.aclose()


@pytest.fixture
def province() -> str:
    """A target province no other test uses."""
    return next_province()
