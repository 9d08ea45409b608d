"""Helpers of the window tests."""

from __future__ import annotations

from typing import Any

from services.window.media import Window


class EventLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self.snapshots: list[bytes] = []

    async def __call__(self, kind: str, window: Window, **fields: Any) -> None:
        self.events.append((kind, window.id, fields))

    async def snapshot(self, window: Window, role: str, data: bytes) -> None:
        self.snapshots.append(data)

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.events]
