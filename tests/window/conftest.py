from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.window.ice import rtc_configuration, use_loopback_ice
from services.window.media import Window, WindowMedia


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


@pytest.fixture
async def media(tmp_path: Path) -> AsyncIterator[tuple[WindowMedia, EventLog]]:
    use_loopback_ice()
    log = EventLog()
    manager = WindowMedia(rtc_configuration([]), tmp_path / "recordings", log, log.snapshot,
                          grace_s=3.0, stats_interval_s=1.0)
    try:
        yield manager, log
    finally:
        await manager.shutdown()
