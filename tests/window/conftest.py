from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.window.ice import use_loopback_ice
from services.window.media import WindowMedia
from tests.window.window_support import EventLog


@pytest.fixture
async def media(tmp_path: Path) -> AsyncIterator[tuple[WindowMedia, EventLog]]:
    use_loopback_ice()
    log = EventLog()
    manager = WindowMedia(tmp_path / "recordings", on_event=log, grace_s=3.0, stats_interval_s=1.0)
    try:
        yield manager, log
    finally:
        await manager.shutdown()
