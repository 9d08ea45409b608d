"""Open WebSockets by what they stand on (a staff session, an account, a kiosk device), so
the end of that ends them at once: signing out, an account disabled or its password reset,
a kiosk key revoked. Per gateway process; sockets on other replicas notice at their next
periodic check (ws.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class SocketEndings:
    def __init__(self) -> None:
        self._ends: dict[str, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def watch(self, *keys: str) -> Iterator[asyncio.Event]:
        """An event set when any of `keys` ends, for as long as the socket lives."""
        ended = asyncio.Event()
        for key in keys:
            self._ends.setdefault(key, set()).add(ended)
        try:
            yield ended
        finally:
            for key in keys:
                events = self._ends.get(key)
                if events is not None:
                    events.discard(ended)
                    if not events:
                        del self._ends[key]

    def end(self, key: str) -> int:
        """Ends every socket standing on `key`; how many there were."""
        events = self._ends.pop(key, set())
        for ended in events:
            ended.set()
        return len(events)


def session_key(token_hash: str) -> str:
    return f"session:{token_hash}"


def account_key(username: str) -> str:
    return f"account:{username}"


def device_key(device_id: str) -> str:
    return f"device:{device_id}"
