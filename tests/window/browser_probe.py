"""Run inside a network namespace that has only `lo`: a window service's media, a page that
joins as the applicant from headless Chromium (fake camera and microphone), and an aiortc
official. Prints one JSON line with what each side received; exits non-zero on failure."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from cli.botpeer import TestPeer
from services.window.ice import rtc_configuration, use_loopback_ice
from services.window.media import WindowMedia
from tests.engines import chromium
from tools.engines import free_port

PAGE = """<!doctype html><html><body><video id="remote" autoplay playsinline muted></video>
<script>
window.result = {frames: 0, state: "new"};
async function join() {
  const pc = new RTCPeerConnection({iceServers: []});
  const media = await navigator.mediaDevices.getUserMedia({video: {width: 320, height: 240},
                                                           audio: true});
  media.getTracks().forEach(t => pc.addTrack(t, media));
  pc.ontrack = e => { if (e.track.kind === "video") {
      document.getElementById("remote").srcObject = new MediaStream([e.track]); } };
  pc.onconnectionstatechange = () => { window.result.state = pc.connectionState; };
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await new Promise(r => { if (pc.iceGatheringState === "complete") r();
      else pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r(); });
  const reply = await fetch("/offer", {method: "POST", body: pc.localDescription.sdp});
  await pc.setRemoteDescription({type: "answer", sdp: await reply.text()});
  setInterval(async () => {
    const stats = await pc.getStats();
    stats.forEach(s => { if (s.type === "inbound-rtp" && s.kind === "video") {
        window.result.frames = s.framesDecoded || 0; } });
  }, 250);
}
join().catch(e => { window.result.error = String(e); });
</script></body></html>"""


async def main() -> int:
    use_loopback_ice()

    media = WindowMedia(Path(tempfile.mkdtemp()), rtc_configuration([]), stats_interval_s=0)
    window = media.open(case_id="browser-case", official_id="sh-official-1")

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def offer(request: web.Request) -> web.Response:
        return web.Response(text=await media.offer(window.id, "applicant", await request.text()))

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_post("/offer", offer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()

    official = TestPeer(width=320, height=240)

    async def signal(sdp: str) -> str:
        return await media.offer(window.id, "official", sdp)

    driver = await asyncio.to_thread(chromium, Path(tempfile.mkdtemp()))
    result: dict[str, Any] = {}
    try:
        await asyncio.to_thread(driver.get, f"http://127.0.0.1:{port}/")
        await official.join(signal)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            browser = await asyncio.to_thread(driver.execute_script, "return window.result;")
            aiortc_frames = max(official.frames("video") or [0])
            result = {"browser": browser, "aiortc_video_frames": aiortc_frames}
            if browser.get("frames", 0) >= 20 and aiortc_frames >= 20:
                break
            await asyncio.sleep(0.5)
        await asyncio.to_thread(
            driver.save_screenshot, sys.argv[1] if len(sys.argv) > 1 else "/tmp/window-browser.png"
        )
    finally:
        await asyncio.to_thread(driver.quit)
        await official.close()
        await media.shutdown()
        await runner.cleanup()
    print(json.dumps(result))
    ok = result.get("browser", {}).get("frames", 0) >= 20 and result["aiortc_video_frames"] >= 20
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
