"""The gateway tests' real stack: started by the first gateway module that asks for it and
stopped when the last one is done.

pytest's "package" scope would not do: a folder without __init__.py is no package, and a
package-scoped fixture there lives until the whole session ends. The stack's routing worker
would then go on consuming the command topics every later suite shares, answering their
commands twice. So the stack counts the modules that need it, from the collected tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from gateway_support import RealStack, next_province, real_stack

HERE = Path(__file__).parent


class Shared:
    modules: set[str] = set()  # gateway modules whose tests use the stack, not yet finished
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
            real_stack(kafka_bootstrap, postgres_url, str(tmp_path_factory.mktemp("gateway-stack")))
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
    """A target province no other gateway test uses."""
    return next_province()
