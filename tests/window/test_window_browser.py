"""A real headless Chromium with a fake camera joins a window with an aiortc peer, inside a
network namespace that has only `lo`, so nothing can leave the machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.engines import Sandboxed

PROBE = Path(__file__).with_name("browser_probe.py")


def test_chromium_and_aiortc_receive_each_others_video(
    browser_sandbox: Callable[..., Sandboxed], tmp_path: Path
) -> None:
    screenshot = tmp_path / "window-browser.png"
    done = browser_sandbox(PROBE, str(screenshot), timeout=180)
    assert done.returncode == 0, done.explain()
    seen = done.report
    assert seen["browser"]["state"] == "connected"
    assert seen["browser"]["frames"] >= 20 and seen["aiortc_video_frames"] >= 20
    assert screenshot.stat().st_size > 0
