"""Findings 4 and 7 as a browser meets them: real headless Chromium kiosks and an admin
console, inside a network namespace with only `lo` (`unshare -n`), against their own real
stack. The steps are browser_attacks.py's; this asserts its report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.engines import Sandboxed

RUNNER = Path(__file__).with_name("browser_attacks.py")


def test_a_stolen_token_an_idle_kiosk_and_an_enrolling_administrator_in_chromium(
    browser_sandbox: Callable[..., Sandboxed],
) -> None:
    done = browser_sandbox(RUNNER, timeout=900)
    report = done.report
    assert done.returncode == 0 and report.get("ok"), done.explain()
    assert report["kiosk_frames"] >= 15  # the applicant and the official met in the window
    # another kiosk with the copied token: the page, the API and the socket refuse it
    assert report["thief"] == {"case": 403, "join": 403, "socket": 4403, "kept": None}
    assert report["seat_after_theft"] == "connected"
    # connected: never cleared for idleness; afterwards: warned, then cleared
    assert report["connected_after_idle"] and report["kept_while_connected"]
    assert report["warned"]
    assert report["after_idle"] == {
        "saved_case": None,
        "token_in_page": False,
        "case_in_page": False,
        "device_key_kept": True,  # the kiosk stays set up for the next applicant
    }
    # nothing a proxy would log holds a token or a kiosk key; the socket URL has no query
    assert report["request_lines"] > 50 and report["lines_with_secrets"] == []
    assert report["kiosk_sockets"] == ["websocket /ws/kiosk"]
    assert report["recovery_codes"] == 10
    assert report["console_errors"]["admin"] == []
