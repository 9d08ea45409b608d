"""A real headless Chromium with a fake camera joins a window with an aiortc peer, inside a
network namespace that has only `lo` (`unshare -n`), so nothing can leave the machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_chromium_and_aiortc_receive_each_others_video(tmp_path: Path) -> None:
    screenshot = tmp_path / "window-browser.png"
    probe = ROOT / "tests" / "window" / "browser_probe.py"
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", f"ip link set lo up && exec {sys.executable} {probe} {screenshot}"],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["browser"]["state"] == "connected"
    assert seen["browser"]["frames"] >= 20 and seen["aiortc_video_frames"] >= 20
    assert screenshot.stat().st_size > 0
