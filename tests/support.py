"""Small helpers shared by the tests (importable as `support`)."""

from __future__ import annotations

import ast
import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def eventually(
    check: Callable[[], Any | Awaitable[Any]], timeout: float = 20.0, interval: float = 0.1
) -> Any:
    """Polls an async or sync check until it returns something truthy; returns that."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def events_built_in(folder: Path) -> set[str]:
    """The event types a service's code builds (calls of events_pb2.<Event> in its modules),
    to hold its events.py to what it really publishes."""
    found: set[str] = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            call = node.func if isinstance(node, ast.Call) else None
            if isinstance(call, ast.Attribute) and getattr(call.value, "id", "") == "events_pb2":
                found.add(call.attr)
    return found
