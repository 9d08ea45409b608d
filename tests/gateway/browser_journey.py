"""The whole journey in real headless Chromium, run inside a network namespace that has only
`lo` (test_gateway_browser.py starts it with `unshare -n`), so nothing can leave the machine.

It starts its own Kafka and PostgreSQL, the four services as processes and the gateway, then
drives three browsers (fake camera and microphone): an applicant at the Hefei kiosk (Anhui,
340000) applies for a Shanghai (310000) housing-fund matter with a document-camera snapshot
and a PDF; the Shanghai official signs in, accepts, meets the applicant in the video window
(each browser must receive the other's video), sends a summary the applicant confirms, and
asks for a supplement (补正); the kiosk takes it with the document camera and submits again;
the official is offered the case again, meets the applicant in a second window, and
approves; the kiosk shows the result and the applicant rates; the operator looks the case
up. A screenshot of each console goes to the folder given as the first argument. The last
line printed is a JSON report; the exit status is non-zero on failure.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.engines import chromium, engine_home, kafka_engine, postgres_engine
from tests.gateway.gateway_support import KIOSK_KEY, PDF, RealStack, password, real_stack

# Each step here is caused by the one before it, so the timeline (ordered by event time)
# must show them in this order: the first round up to its decision (补正), then the second
# round from its resubmission on. The recordings are stored beside the rest, in either order.
FIRST_ROUND = [
    "ApplicationCreated",
    "MaterialUploaded",
    "ApplicationSubmitted",
    "CaseQueued",
    "CaseReserved",
    "ReservationAccepted",
    "CaseAssigned",
    "WindowOpened",
    "WindowConnected",
    "DecisionRecorded",
    "WindowClosed",
]
SECOND_ROUND = [
    "ApplicationSubmitted",
    "CaseQueued",
    "CaseReserved",
    "ReservationAccepted",
    "CaseAssigned",
    "WindowOpened",
    "WindowConnected",
    "DecisionRecorded",
    "ResultIssued",
    "ResultDelivered",
    "WindowClosed",
    "EvaluationSubmitted",
    "CaseClosed",
]
JOURNEY = FIRST_ROUND + SECOND_ROUND
ALSO = ["WindowPartyJoined", "WindowRecordingStored"]


class Browser:
    """One Chromium through chromedriver; Selenium runs on a thread so the gateway, on this
    process's event loop, keeps serving."""

    def __init__(self, name: str, profile: Path) -> None:
        self.name = name
        self.driver = chromium(profile, browser_logs=True)

    async def run(self, action: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(action, *args)

    async def get(self, url: str) -> None:
        await self.run(self.driver.get, url)

    async def find(self, testid: str, visible: bool = True, timeout: float = 30) -> Any:
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        locator = (By.CSS_SELECTOR, f'[data-testid="{testid}"]')
        condition = (
            expected_conditions.visibility_of_element_located(locator)
            if visible
            else expected_conditions.presence_of_element_located(locator)
        )
        try:
            return await self.run(WebDriverWait(self.driver, timeout).until, condition)
        except TimeoutException:
            raise AssertionError(
                f"{self.name}: {testid} not {'visible' if visible else 'present'}"
                f": {await self.run(self.state)}"
            ) from None

    async def click(self, testid: str, timeout: float = 15) -> None:
        """Clicks once the element can take it: a panel still moving into place (a screen
        change, a list filling in) would take the click instead."""
        from selenium.common.exceptions import (
            ElementClickInterceptedException,
            StaleElementReferenceException,
        )

        deadline = time.monotonic() + timeout
        while True:
            element = await self.find(testid)
            try:
                await self.run(element.click)
                return
            except (ElementClickInterceptedException, StaleElementReferenceException):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.3)

    async def type(self, testid: str, text: str) -> None:
        element = await self.find(testid)
        await self.run(element.clear)
        await self.run(element.send_keys, text)

    async def select(self, testid: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        element = await self.find(testid)
        await self.run(lambda: Select(element).select_by_value(value))

    async def text_of(self, testid: str, wanted: str, timeout: float = 30) -> str:
        """The element's text once it contains `wanted`."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            element = await self.find(testid, visible=False)
            text = str(await self.run(getattr, element, "text"))
            if wanted in text:
                return text
            await asyncio.sleep(0.25)
        raise AssertionError(
            f"{self.name}: {testid} shows {text!r}, not {wanted!r}: {await self.run(self.state)}"
        )

    async def video_frames(self, testid: str) -> int:
        """Frames the page's video element has presented (0 until media flows)."""
        script = (
            "const v = document.querySelector(arguments[0]);"
            " return v && v.getVideoPlaybackQuality && v.videoWidth > 0"
            " ? v.getVideoPlaybackQuality().totalVideoFrames : 0;"
        )
        return int(await self.run(self.driver.execute_script, script, f'[data-testid="{testid}"]'))

    async def receiving(self, testid: str, frames: int = 30, timeout: float = 45) -> int:
        """Waits until the video element has presented `frames` more frames than now."""
        deadline = time.monotonic() + timeout
        start = None
        while time.monotonic() < deadline:
            count = await self.video_frames(testid)
            if count and start is None:
                start = count
            if start is not None and count - start >= frames:
                return count - start
            await asyncio.sleep(0.5)
        raise AssertionError(f"{self.name}: {testid} presented no video: {await self.run(self.state)}")

    async def screenshot(self, path: Path) -> None:
        await self.run(self.driver.save_screenshot, str(path))

    def state(self) -> dict[str, Any]:
        """What the page shows, for a failure message."""
        return {
            "url": self.driver.current_url,
            "banner": self.driver.execute_script(
                "const b = document.querySelector('[data-testid=error-banner]');"
                " return b ? b.textContent : ''"
            ),
            "console": self.console_errors(),
        }

    def console_errors(self) -> list[str]:
        """Severe console entries, but for the signed-out probe a console makes on load
        (GET /api/v1/auth/me answered 401, which Chromium logs as a failed resource)."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE"
            and "favicon" not in entry["message"]
            and not ("/api/v1/auth/me" in entry["message"] and "401" in entry["message"])
        ]

    def quit(self) -> None:
        self.driver.quit()


async def sign_in(browser: Browser, url: str, username: str) -> None:
    await browser.get(url)
    await browser.type("login-username", username)
    await browser.type("login-password", password(username))
    await browser.click("login-submit")


async def journey(stack: RealStack, shots: Path, profiles: Path) -> dict[str, Any]:
    base = stack.gateway.url
    report: dict[str, Any] = {}
    pdf = profiles / "form.pdf"
    browsers = [
        await asyncio.to_thread(Browser, name, profiles / name) for name in ("kiosk", "official", "operator")
    ]
    kiosk, official, operator = browsers
    try:
        # the Shanghai official is at their desk first
        await sign_in(official, f"{base}/official/", "sh-official-1")
        await official.select("presence-select", "available")
        await official.click("presence-apply")
        await official.text_of("presence-state", "在线")

        # the applicant at the Hefei hall
        await kiosk.get(f"{base}/kiosk/#device_key={KIOSK_KEY}")
        await kiosk.click("lang-zh")
        await kiosk.type("matter-search", "公积金")
        await kiosk.click("matter-HF-TRANSFER")
        await kiosk.click("province-310000")
        await kiosk.type("applicant-name", "张三")
        await kiosk.type("applicant-id", "11010519491231002X")
        await kiosk.type("applicant-phone", "13812345678")
        await kiosk.click("identity-next")
        await kiosk.find("camera-preview")
        await kiosk.receiving("camera-preview", frames=10)  # the document camera is live
        await kiosk.click("capture-id_card")
        await kiosk.text_of("material-status-id_card", "已上传")
        await kiosk.click("capture-new_account")
        await kiosk.text_of("material-status-new_account", "已上传")
        form = await kiosk.find("file-form", visible=False)
        await kiosk.run(form.send_keys, str(pdf))
        await kiosk.text_of("material-status-form", "已上传")
        await kiosk.click("submit-application")
        await kiosk.find("queue-position")

        # the offer reaches the official, who accepts
        await official.find("offer", timeout=60)
        case_id = (await official.text_of("offer-case", "-")).strip()
        report["case_id"] = case_id
        await official.click("offer-accept")
        await official.text_of("case-details", "张*")
        await official.find("material-list")

        # both meet in the video window, each receiving the other's camera
        report["kiosk_frames"] = await kiosk.receiving("remote-video")
        report["official_frames"] = await official.receiving("remote-video")
        await kiosk.text_of("window-state", "connected")
        await official.text_of("window-state", "connected")
        await kiosk.screenshot(shots / "kiosk-window.png")
        await official.screenshot(shots / "official-window.png")

        # a document from the case, viewed by the official
        material = await official.find("material-list")
        first = await official.run(
            lambda: material.find_element("css selector", "[data-testid^='material-']")
        )
        await official.run(first.click)
        await official.find("material-viewer")

        # the summary, confirmed by the applicant on the kiosk
        await official.type("summary-text", "住房公积金转移接续：材料齐全，准予办理")
        await official.click("summary-send")
        await kiosk.text_of("official-summary", "材料齐全")
        await kiosk.click("confirm-summary")
        await official.text_of("applicant-confirmation", "确认")

        # 补正: the official asks for a new account proof and wraps up
        await official.select("decision-outcome", "supplement_requested")
        await official.type("decision-supplements", "new_account")
        await official.click("decision-submit")
        await official.text_of("decision-result", "已要求补正")
        await official.click("finish-case")
        await official.text_of("finish-result", "已结束")

        # the kiosk asks for it; the applicant puts it under the document camera again
        await kiosk.text_of("decision-outcome", "需要补正材料")
        await kiosk.text_of("delivery-info", "转入地公积金账户证明")
        await kiosk.click("supplement-start", timeout=30)  # once intake has reopened it
        await kiosk.receiving("camera-preview", frames=10)
        await kiosk.click("capture-new_account")
        await kiosk.text_of("material-status-new_account", "已上传")
        await kiosk.click("submit-application")
        await kiosk.find("queue-position")

        # the case comes back to the official after the wrap-up: a second window
        await official.find("offer", timeout=60)
        await official.text_of("offer-case", case_id)
        await official.click("offer-accept")
        report["second_window_frames"] = min(
            await kiosk.receiving("remote-video"), await official.receiving("remote-video")
        )

        # the decision: approved with an electronic certificate
        await official.select("decision-outcome", "approved")
        await official.click("decision-submit")
        report["certificate"] = await official.text_of("decision-result", "TB-310000-")
        await official.click("finish-case")
        await official.find("finish-result")

        # the applicant sees the result and rates the service
        report["outcome"] = await kiosk.text_of("decision-outcome", "准予")
        await kiosk.find("certificate-link")
        await kiosk.click("rate-5")
        await kiosk.click("submit-rating")
        await kiosk.find("rating-done")
        await kiosk.screenshot(shots / "kiosk-result.png")

        # the operator follows the case's timeline, complete and in order
        await sign_in(operator, f"{base}/operator/", "operator-1")
        await operator.find("event-stream", visible=False)
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            await operator.type("timeline-case", case_id)
            await operator.click("timeline-lookup")
            await operator.find("timeline-event", timeout=30)
            items = await operator.run(
                lambda: [
                    e.text.rsplit(" ", 1)[-1]
                    for e in operator.driver.find_elements("css selector", "[data-testid='timeline-event']")
                ]
            )
            seen = list(items)
            if "CaseClosed" in seen:
                break
            await asyncio.sleep(1)
        report["timeline"] = seen
        report["summary"] = await operator.text_of("timeline-case-summary", "002X")
        await operator.screenshot(shots / "operator-timeline.png")
        report["console_errors"] = {b.name: await b.run(b.console_errors) for b in browsers}
        return report
    finally:
        for browser in browsers:
            await asyncio.to_thread(browser.quit)


def in_order(timeline: list[str], steps: list[str]) -> bool:
    """The steps appear one after another in the timeline (others may come between)."""
    position = 0
    for step in steps:
        try:
            position = timeline.index(step, position) + 1
        except ValueError:
            return False
    return True


def profiles_in(home: Path) -> Path:
    """The browsers' profiles, with the PDF the kiosk uploads."""
    profiles = home / "profiles"
    profiles.mkdir()
    (profiles / "form.pdf").write_bytes(PDF)
    return profiles


async def main(shots: Path) -> int:
    """Everything in this network namespace: the suite's engines are outside it."""
    report: dict[str, Any] = {"ok": False}
    try:
        with engine_home("tongban-browser-journey-") as home:
            profiles = profiles_in(home)
            print("starting Kafka and PostgreSQL ...", file=sys.stderr, flush=True)
            with kafka_engine(home) as kafka, postgres_engine(home) as postgres:
                print("starting the services and the gateway ...", file=sys.stderr, flush=True)
                async with real_stack(kafka.bootstrap, postgres.url()) as stack:
                    print("driving the browsers ...", file=sys.stderr, flush=True)
                    report.update(await journey(stack, shots, profiles))
        timeline = report.get("timeline", [])
        report["ok"] = in_order(timeline, JOURNEY) and all(step in timeline for step in ALSO)
    except Exception as error:
        report["error"] = "".join(traceback.format_exception(error))[-4000:]
    print(json.dumps(report, ensure_ascii=False))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    Path(sys.argv[1]).mkdir(parents=True, exist_ok=True)  # the screenshots' folder
    raise SystemExit(asyncio.run(main(Path(sys.argv[1]))))
