"""The browser's side of findings 4 and 7 in real headless Chromium, inside a network
namespace with only `lo` (test_browser.py starts it with `unshare -n`), against its own
Kafka, PostgreSQL, services and a gateway whose every request line is recorded.

1. A Hefei kiosk, set up with its key in the address's fragment, applies, uploads with the
   document camera and waits; a Shanghai official (a synthetic peer over the API) accepts
   and both meet in the video window.
2. A second kiosk, at another hall, is given the first kiosk's token (copied out of its
   session storage): its page, its API calls and its live socket are all refused, and the
   applicant's connected seat is untouched.
3. While the window is connected the first kiosk is left alone for longer than its idle
   time: nothing is cleared. Once the official ends the window, it is left alone again:
   it warns, then clears the screen and forgets the token.
4. Every request line the gateway saw (the URLs a proxy would log) carries no token and no
   device key; the kiosk's socket URL has no query at all.
5. A new administrator signs in at /admin/: the console has them enrol an authenticator
   (QR code and key shown, a code typed in, recovery codes shown once) and only then shows
   the accounts.

The last line printed is a JSON report; the exit status is non-zero on failure.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from cli.botpeer import TestPeer
from gateway import totp
from gateway.app import server_config
from services.window.ice import use_loopback_ice
from tests.engines import engine_home, kafka_engine, postgres_engine
from tests.gateway.browser_journey import Browser
from tests.gateway.gateway_support import (
    CREDENTIALS,
    KIOSK_KEY,
    PDF,
    RealStack,
    RunningGateway,
    new_staff,
    offered,
    password,
    real_stack,
    sign_in,
)
from tools.engines import free_port

SHANGHAI_KIOSK = CREDENTIALS["hall-310101-01"][1]
IDLE_S = 8.0


class RequestLines:
    """ASGI middleware keeping every request line (path and query) the gateway receives:
    what a reverse proxy in front of it would write to its access log."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lines: list[str] = []

    @property
    def state(self) -> Any:  # the gateway's, for RunningGateway.state
        return self.app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            query = scope.get("query_string", b"").decode("latin-1")
            self.lines.append(f"{scope['type']} {scope['path']}{'?' + query if query else ''}")
        await self.app(scope, receive, send)


async def recorded_gateway(stack: RealStack) -> tuple[RunningGateway, RequestLines]:
    settings = stack.settings(kiosk_idle_s=IDLE_S)
    port = free_port()
    config = server_config(settings, "127.0.0.1", port, lifespan="on")
    recorder = RequestLines(config.app)
    config.app = recorder
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the gateway did not start"
        await asyncio.sleep(0.05)
    gateway = RunningGateway(f"http://127.0.0.1:{port}", settings, server, task)
    consumer = gateway.state.consumer
    assert consumer is not None
    await asyncio.wait_for(consumer.ready.wait(), 60)
    return gateway, recorder


async def script(browser: Browser, source: str, *args: Any) -> Any:
    return await browser.run(browser.driver.execute_script, source, *args)


async def async_script(browser: Browser, source: str, *args: Any) -> Any:
    return await browser.run(browser.driver.execute_async_script, source, *args)


async def saved_case(browser: Browser) -> dict[str, str] | None:
    found = await script(browser, "return sessionStorage.getItem('tongban.case');")
    return json.loads(found) if found else None


async def until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.5)
    raise AssertionError(f"not within {timeout}s: {what}")


async def apply_at(kiosk: Browser, base: str, pdf: Path) -> dict[str, str]:
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
    await kiosk.receiving("camera-preview", frames=10)
    await kiosk.click("capture-id_card")
    await kiosk.text_of("material-status-id_card", "已上传")
    await kiosk.click("capture-new_account")
    await kiosk.text_of("material-status-new_account", "已上传")
    form = await kiosk.find("file-form", visible=False)
    await kiosk.run(form.send_keys, str(pdf))
    await kiosk.text_of("material-status-form", "已上传")
    await kiosk.click("submit-application")
    await kiosk.find("queue-position")
    saved = await saved_case(kiosk)
    assert saved and saved["token"], "the kiosk keeps no case"
    return saved


async def stolen_token_at_another_kiosk(thief: Browser, base: str, stolen: dict[str, str]) -> dict[str, Any]:
    """The Shanghai kiosk, given the Hefei kiosk's token: what it gets."""
    await thief.get(f"{base}/kiosk/#device_key={SHANGHAI_KIOSK}")
    await thief.find("lang-zh")
    await script(thief, "sessionStorage.setItem('tongban.case', arguments[0]);", json.dumps(stolen))
    await thief.get(f"{base}/kiosk/")
    await thief.find("lang-zh")  # the page dropped the case it could not open
    statuses = await async_script(
        thief,
        """
        const [caseId, token, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
        const key = localStorage.getItem('tongban.deviceKey');
        const headers = {'Authorization': 'Bearer ' + token, 'X-Device-Key': key,
                         'Content-Type': 'application/json'};
        Promise.all([
          fetch('/api/v1/kiosk/cases/' + caseId, {headers}).then(r => r.status),
          fetch('/api/v1/kiosk/cases/' + caseId + '/window/join',
                {method: 'POST', headers, body: JSON.stringify({sdp: 'v=0'})}).then(r => r.status),
          new Promise((resolve) => {
            const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws/kiosk');
            ws.onopen = () => ws.send(JSON.stringify({kind: 'auth', token, device_key: key}));
            ws.onclose = (event) => resolve(event.code);
          }),
        ]).then(done);
        """,
        stolen["caseId"],
        stolen["token"],
    )
    return {
        "case": statuses[0],
        "join": statuses[1],
        "socket": statuses[2],
        "kept": await saved_case(thief),
    }


async def new_admin_enrols_in_the_console(admin: Browser, gateway: RunningGateway) -> list[str]:
    username = await new_staff(gateway, "admin")
    await admin.get(f"{gateway.url}/admin/")
    await admin.type("login-username", username)
    await admin.type("login-password", "gateway-test-password-1")
    await admin.click("login-submit")
    await admin.find("totp-qr")
    secret = (await admin.text_of("totp-secret", " ")).replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    await admin.type("totp-code", totp.code(key))
    await admin.click("totp-submit")
    codes = await admin.text_of("recovery-codes", "-")
    await admin.click("recovery-done")
    await admin.text_of("account-table", username)
    return [c for c in codes.split() if c.count("-") == 3]


async def attacks(stack: RealStack, home: Path) -> dict[str, Any]:
    use_loopback_ice()
    gateway, recorder = await recorded_gateway(stack)
    base = gateway.url
    report: dict[str, Any] = {}
    pdf = home / "form.pdf"
    pdf.write_bytes(PDF)
    browsers = [await asyncio.to_thread(Browser, name, home / name) for name in ("kiosk", "thief", "admin")]
    kiosk, thief, admin = browsers
    desk = TestPeer(tag=2, width=160, height=120, fps=10)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as official:
            await sign_in(gateway, official, "sh-official-1", password("sh-official-1"))
            await official.post("/api/v1/official/presence", json={"presence": "available"})

            stolen = await apply_at(kiosk, base, pdf)
            case_id = stolen["caseId"]
            report["case_id"] = case_id
            reservation = await offered(official, case_id)
            accepted = await official.post(f"/api/v1/official/reservations/{reservation}/accept")
            assert accepted.status_code == 200, accepted.text

            async def official_offer(sdp: str) -> str:
                answer = await official.post(
                    f"/api/v1/official/cases/{case_id}/window/join", json={"sdp": sdp}
                )
                assert answer.status_code == 200, answer.text
                return str(answer.json()["sdp"])

            await desk.join(official_offer, timeout=60)
            await kiosk.text_of("window-state", "connected", timeout=60)
            report["kiosk_frames"] = await kiosk.receiving("remote-video", frames=15)

            report["thief"] = await stolen_token_at_another_kiosk(thief, base, stolen)
            report["seat_after_theft"] = await kiosk.text_of("window-state", "connected")

            # connected: longer than the idle time without a touch, and nothing is cleared
            await asyncio.sleep(IDLE_S + 6)
            report["connected_after_idle"] = (await kiosk.text_of("window-state", "connected")) == "connected"
            report["kept_while_connected"] = (await saved_case(kiosk)) == stolen

            # the window ends; left alone, the kiosk warns, then forgets
            finished = await official.post(f"/api/v1/official/cases/{case_id}/finish")
            assert finished.status_code == 200, finished.text
            await kiosk.find("idle-warning", timeout=60)
            report["warned"] = True
            await until(lambda: cleared(kiosk), 60, "the kiosk clears itself")
            await kiosk.find("lang-zh", timeout=30)
            report["after_idle"] = {
                "saved_case": await saved_case(kiosk),
                "token_in_page": stolen["token"]
                in (await script(kiosk, "return document.documentElement.outerHTML;")),
                "case_in_page": case_id in (await script(kiosk, "return document.body.innerText;")),
                "device_key_kept": (await script(kiosk, "return localStorage.getItem('tongban.deviceKey');"))
                == KIOSK_KEY,
            }
            await official.post("/api/v1/official/presence", json={"presence": "offline"})

        report["recovery_codes"] = len(await new_admin_enrols_in_the_console(admin, gateway))
        secrets = [stolen["token"], KIOSK_KEY, SHANGHAI_KIOSK]
        report["request_lines"] = len(recorder.lines)
        report["lines_with_secrets"] = [line for line in recorder.lines if any(s in line for s in secrets)]
        report["kiosk_sockets"] = sorted({line for line in recorder.lines if "/ws/kiosk" in line})
        report["console_errors"] = {b.name: await b.run(b.console_errors) for b in (kiosk, admin)}
        return report
    finally:
        await desk.close()
        for browser in browsers:
            await asyncio.to_thread(browser.quit)
        await gateway.stop()


async def cleared(kiosk: Browser) -> bool:
    return await saved_case(kiosk) is None


async def main() -> int:
    """Everything in this network namespace: the suite's engines are outside it."""
    report: dict[str, Any] = {"ok": False}
    try:
        with engine_home("tongban-browser-attacks-") as home:
            print("starting Kafka and PostgreSQL ...", file=sys.stderr, flush=True)
            with kafka_engine(home) as kafka, postgres_engine(home) as postgres:
                async with real_stack(kafka.bootstrap, postgres.url()) as stack:
                    print("driving the browsers ...", file=sys.stderr, flush=True)
                    report.update(await attacks(stack, home))
        report["ok"] = True
    except Exception as error:
        report["error"] = "".join(traceback.format_exception(error))[-4000:]
    print(json.dumps(report, ensure_ascii=False))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
