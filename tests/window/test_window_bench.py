"""The window benchmark's quick path runs end to end (tiny settings)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration  # the benchmark's processes and their WebRTC


def test_the_quick_benchmark_runs_and_prints_its_tables() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.window",
            "--quick",
            "--max-windows",
            "1",
            "--measure-seconds",
            "1",
            "--cycles",
            "3",
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "Windows held" in result.stdout and "setup offer -> connected p99" in result.stdout
    held = next(line for line in result.stdout.splitlines() if "recorded windows held" in line)
    assert held.split("|")[2].strip() == "1", result.stdout
