"""`python -m bench.window [--quick]`: how many recorded two-party windows (640×480
15 fps VP8 plus Opus) one window process holds while every party receives at least 14 fps;
offer → connected setup time p50/p99; resident memory across open/close cycles.

The window media runs in its own process (`--serve`: WindowMedia behind a JSON-lines socket,
loopback ICE, recording on), so its CPU and memory are its own. The parties run in this
process from a pre-encoded loop (testpeer.MediaLoop) and count the encoded frames they
receive without decoding: a kiosk and an official encode and decode on their own machines,
not on the window node, and on two shared cores a decoding party would measure itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bench.kit import machine
from cli.botpeer import MediaLoop, TestPeer
from cli.textout import percentile, table
from services.window.ice import use_loopback_ice
from services.window.media import WindowMedia

TARGET_FPS = 14.0
RAMP = [1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------- the service side


async def serve(recordings: Path) -> None:
    """WindowMedia behind JSON lines on a loopback socket; prints the port."""
    use_loopback_ice()
    media = WindowMedia(recordings, stats_interval_s=5.0)

    async def handle(request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        if op == "open":
            return {"window_id": media.open().id}
        if op == "offer":
            return {"sdp": await media.offer(request["window_id"], request["seat"], request["sdp"])}
        if op == "close":
            recording = await media.close(request["window_id"], "bench")
            if recording is not None and not request.get("keep"):
                recording.path.unlink(missing_ok=True)
            return {
                "size": recording.size if recording else 0,
                "duration_s": recording.duration_s if recording else 0,
            }
        raise ValueError(f"unknown op {op}")

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        lock = asyncio.Lock()

        async def answer(request: dict[str, Any]) -> None:
            try:
                reply = {"id": request["id"], **await handle(request)}
            except Exception as error:
                reply = {"id": request["id"], "error": repr(error)}
            async with lock:
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()

        tasks: set[asyncio.Task[None]] = set()
        while line := await reader.readline():
            task = asyncio.create_task(answer(json.loads(line)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0, limit=1 << 20)
    try:
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin
    finally:
        server.close()
        await media.shutdown()


class Service:
    """The --serve child process and its socket."""

    def __init__(
        self, process: asyncio.subprocess.Process, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.process, self.reader, self.writer = process, reader, writer
        self.pid = process.pid
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next = 0
        self._reading = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self.reader.readline():
            reply = json.loads(line)
            self._pending.pop(reply["id"]).set_result(reply)

    async def call(self, op: str, **fields: Any) -> dict[str, Any]:
        self._next += 1
        future = asyncio.get_running_loop().create_future()
        self._pending[self._next] = future
        self.writer.write(json.dumps({"id": self._next, "op": op, **fields}).encode() + b"\n")
        reply: dict[str, Any] = await asyncio.wait_for(future, 60)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply


@contextlib.asynccontextmanager
async def service_process(recordings: Path) -> AsyncIterator[Service]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.window",
        "--serve",
        str(recordings),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    service: Service | None = None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the window service did not start: {line!r}")
        reader, writer = await asyncio.open_connection("127.0.0.1", int(line.split()[1]), limit=1 << 20)
        service = Service(process, reader, writer)
        yield service
    finally:
        if service is not None:
            service.writer.close()
            service._reading.cancel()
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


# ---------------------------------------------------------------------- the parties' side


async def open_window(service: Service, loop: MediaLoop) -> tuple[str, list[TestPeer]]:
    window_id = (await service.call("open"))["window_id"]
    peers = []
    try:
        for tag, seat in enumerate(("applicant", "official")):
            peer = TestPeer(tag=tag, loop=loop)
            peers.append(peer)

            async def offer(sdp: str, seat: str = seat) -> str:
                return str((await service.call("offer", window_id=window_id, seat=seat, sdp=sdp))["sdp"])

            await peer.join(offer)
    except BaseException:
        for peer in peers:
            await peer.close()
        raise
    return window_id, peers


async def close_window(service: Service, window_id: str, peers: list[TestPeer]) -> None:
    for peer in peers:
        await peer.close()
    await service.call("close", window_id=window_id)


def video_tracks(windows: list[tuple[str, list[TestPeer]]]) -> list[Any]:
    return [t for _, peers in windows for p in peers for t in p.received.values() if t.kind == "video"]


async def capacity(
    service: Service, loop: MediaLoop, ramp: list[int], measure_s: float
) -> tuple[list[list[Any]], list[float], int]:
    rows: list[list[Any]] = []
    setups: list[float] = []
    held = 0
    windows: list[tuple[str, list[TestPeer]]] = []
    try:
        for count in ramp:
            while len(windows) < count:
                window_id, peers = await open_window(service, loop)
                windows.append((window_id, peers))
                setups += [p.setup_s * 1000 for p in peers if p.setup_s is not None]
            await asyncio.sleep(3)  # every party's first keyframe and a steady state
            tracks = video_tracks(windows)
            before = [t.frames for t in tracks]
            audio_before = sum(
                t.frames for _, ps in windows for p in ps for t in p.received.values() if t.kind == "audio"
            )
            cpu_service, cpu_parties = cpu_seconds(service.pid), cpu_seconds(os.getpid())
            started = time.monotonic()
            await asyncio.sleep(measure_s)
            elapsed = time.monotonic() - started
            rates = [(t.frames - b) / elapsed for t, b in zip(tracks, before, strict=True)]
            audio = (
                sum(
                    t.frames
                    for _, ps in windows
                    for p in ps
                    for t in p.received.values()
                    if t.kind == "audio"
                )
                - audio_before
            )
            worst = min(rates) if len(rates) == 2 * count else 0.0
            service_cpu = (cpu_seconds(service.pid) - cpu_service) / elapsed * 100
            parties_cpu = (cpu_seconds(os.getpid()) - cpu_parties) / elapsed * 100
            rows.append(
                [
                    count,
                    2 * count,
                    f"{worst:.1f}",
                    f"{statistics.mean(rates):.1f}",
                    f"{audio / elapsed / (2 * count):.1f}",
                    f"{service_cpu:.0f}%",
                    f"{parties_cpu:.0f}%",
                    f"{rss_mb(service.pid):.0f}",
                ]
            )
            print(
                f"  {count:2} windows: worst party {worst:4.1f} fps, mean "
                f"{statistics.mean(rates):4.1f}; service CPU {service_cpu:3.0f}%, "
                f"parties CPU {parties_cpu:3.0f}%",
                flush=True,
            )
            if worst < TARGET_FPS:
                break
            held = count
    finally:
        for window_id, peers in windows:
            await close_window(service, window_id, peers)
    return rows, setups, held


async def cycles(service: Service, loop: MediaLoop, count: int) -> tuple[float, float, float, list[float]]:
    start = rss_mb(service.pid)
    warm = start
    setups: list[float] = []
    for i in range(count):
        window_id, peers = await open_window(service, loop)
        setups += [p.setup_s * 1000 for p in peers if p.setup_s is not None]
        await asyncio.sleep(0.3)
        await close_window(service, window_id, peers)
        if i == 9:
            warm = rss_mb(service.pid)  # codecs, pools and caches are loaded by now
        if (i + 1) % 20 == 0 or i + 1 == count:
            print(f"  {i + 1}/{count} cycles, service RSS {rss_mb(service.pid):.0f} MB", flush=True)
    await asyncio.sleep(1)
    return start, warm, rss_mb(service.pid), setups


async def run(args: argparse.Namespace) -> None:
    use_loopback_ice()
    print(f"machine: {machine()}", flush=True)
    media_loop = MediaLoop.build(640, 480, 15)
    print(
        f"party media: 640x480 15 fps VP8 loop at {media_loop.video_bitrate_kbps:.0f} kbps "
        "+ Opus tone, pre-encoded",
        flush=True,
    )
    ramp = [n for n in RAMP if n <= args.max_windows]
    with tempfile.TemporaryDirectory(prefix="window-bench-") as folder:
        async with service_process(Path(folder)) as service:
            print(f"capacity: ramp {ramp}, {args.measure_seconds:.0f} s per step", flush=True)
            rows, setups, held = await capacity(service, media_loop, ramp, args.measure_seconds)
            print(f"memory: {args.cycles} open/close cycles of a recorded two-party window", flush=True)
            start, warm, end, cycle_setups = await cycles(service, media_loop, args.cycles)
    setups += cycle_setups
    print()
    print(
        table(
            "Windows held (each recorded; two parties at 640x480 15 fps)",
            [
                "windows",
                "parties",
                "worst fps",
                "mean fps",
                "audio fps",
                "service CPU",
                "parties CPU",
                "service RSS MB",
            ],
            rows,
        )
    )
    print()
    print(
        table(
            "Window media (one process; the parties in another on the same cores)",
            ["measure", "value"],
            [
                [f"recorded windows held, every party >= {TARGET_FPS:.0f} fps", held],
                [f"setup offer -> connected p50 ({len(setups)} joins)", f"{percentile(setups, 50):.0f} ms"],
                ["setup offer -> connected p99", f"{percentile(setups, 99):.0f} ms"],
                [
                    f"RSS before / after 10 / after {args.cycles} cycles",
                    f"{start:.0f} / {warm:.0f} / {end:.0f} MB",
                ],
                [f"RSS growth after warm-up over {max(0, args.cycles - 10)} cycles", f"{end - warm:+.1f} MB"],
            ],
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short run: up to 2 windows, 3 s steps, 20 cycles"
    )
    parser.add_argument("--max-windows", type=int, help=f"default {RAMP[-1]} (quick: 2)")
    parser.add_argument("--measure-seconds", type=float, help="per step; default 8 (quick: 3)")
    parser.add_argument("--cycles", type=int, help="open/close cycles; default 200 (quick: 20)")
    parser.add_argument("--serve", metavar="RECORDINGS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(Path(args.serve)))
        return
    for name, full, quick in (
        ("max_windows", RAMP[-1], 2),
        ("measure_seconds", 8.0, 3.0),
        ("cycles", 200, 20),
    ):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
