"""The journey in real headless Chromium (kiosk, official and operator consoles; fake camera
and microphone) against every real service, inside a network namespace that has only `lo`
(`unshare -n`), so nothing can leave the machine. See browser_journey.py for the steps."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tests.engines import Sandboxed
from tests.gateway.browser_journey import ALSO, JOURNEY

RUNNER = Path(__file__).with_name("browser_journey.py")
SHOTS = ("kiosk-window.png", "official-window.png", "kiosk-result.png", "operator-timeline.png")


def test_a_hefei_applicant_and_a_shanghai_official_in_their_browsers(
    browser_sandbox: Callable[..., Sandboxed], tmp_path: Path
) -> None:
    # TONGBAN_SCREENSHOTS keeps the screenshots somewhere to look at them after the run
    shots = Path(os.environ.get("TONGBAN_SCREENSHOTS") or tmp_path / "screenshots")
    done = browser_sandbox(RUNNER, str(shots), timeout=600)
    report = done.report
    assert done.returncode == 0 and report.get("ok"), done.explain()
    assert report["kiosk_frames"] >= 30 and report["official_frames"] >= 30
    assert report["second_window_frames"] >= 30  # the round after 补正 meets again
    assert "准予办理" in report["certificate"] and "TB-310000-" in report["certificate"]
    timeline = report["timeline"]
    assert [step for step in timeline if step in JOURNEY][:1] == ["ApplicationCreated"]
    assert set(JOURNEY + ALSO) <= set(timeline)
    assert "WindowPartyRejoined" not in timeline  # each console offered once, nobody dropped
    assert timeline.count("DecisionRecorded") == 2 and timeline.count("WindowOpened") == 2
    assert "**************002X" in report["summary"] and "11010519491231002X" not in report["summary"]
    assert report["console_errors"] == {"kiosk": [], "official": [], "operator": []}
    for name in SHOTS:
        assert (shots / name).stat().st_size > 10_000, name
