"""Helpers of the window tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from cli.botpeer import TestPeer
from services.window import hooks
from services.window.media import WindowMedia


class EventLog:
    """The hook of a WindowMedia under test: every event, in order."""

    def __init__(self) -> None:
        self.events: list[hooks.WindowEvent] = []

    async def __call__(self, event: hooks.WindowEvent) -> None:
        self.events.append(event)

    def kinds(self, window_id: str | None = None) -> list[str]:
        return [type(e).__name__ for e in self.events if window_id is None or e.window.id == window_id]

    def of(self, kind: type[Any], window_id: str | None = None) -> list[Any]:
        return [
            e for e in self.events if isinstance(e, kind) and (window_id is None or e.window.id == window_id)
        ]


def offer_to(media: WindowMedia, window_id: str, seat: str) -> Callable[[str], Awaitable[str]]:
    async def offer(sdp: str) -> str:
        return await media.offer(window_id, seat, sdp)

    return offer


@asynccontextmanager
async def parties(*peers: TestPeer) -> AsyncIterator[tuple[TestPeer, ...]]:
    """Closes the test peers whatever happens."""
    try:
        yield peers
    finally:
        for peer in peers:
            await peer.close()
