"""`make bench-window`: how many recorded two-party windows (640×480 15 fps synthetic video
plus audio) one window process holds while every party receives at least 14 fps; offer →
connected setup time p50/p99; resident memory across open/close cycles.

The window service runs as its own process (`python -m services.window`, loopback ICE); the
synthetic parties run in this process. Both share the machine's cores, as a kiosk and an
official would not: the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from pathlib import Path

import grpc

from services.window.ice import use_loopback_ice
from services.window.synthetic import SyntheticPeer
from tongban.window.v1 import window_pb2, window_pb2_grpc
from tools.benchkit import Progress, kafka_for_bench, machine, percentile, table
from tools.benchstack import bench_env, service_process

TARGET_FPS = 14.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def open_window(stub: window_pb2_grpc.WindowServiceStub, width: int, height: int,
                      fps: int) -> tuple[str, list[SyntheticPeer], list[float]]:
    window = (await stub.OpenWindow(window_pb2.OpenWindowRequest(
        case_id=str(uuid.uuid4()), official_id="bench-official"))).window
    peers, setups = [], []
    for seat in window.seats:
        peer = SyntheticPeer(width=width, height=height, fps=fps)

        async def signal(sdp: str, seat: window_pb2.Seat = seat) -> str:
            return str((await stub.Join(window_pb2.JoinRequest(
                window_id=window.id, join_token=seat.join_token, sdp=sdp))).sdp)

        setups.append(await peer.join(signal) * 1000)
        peers.append(peer)
    return window.id, peers, setups


async def close_window(stub: window_pb2_grpc.WindowServiceStub, window_id: str,
                       peers: list[SyntheticPeer]) -> None:
    await stub.CloseWindow(window_pb2.CloseWindowRequest(window_id=window_id, reason="bench"))
    for peer in peers:
        await peer.close()


async def capacity(address: str, max_windows: int, measure_s: float
                   ) -> tuple[list[list[object]], list[float], int]:
    rows: list[list[object]] = []
    setups: list[float] = []
    held = 0
    async with grpc.aio.insecure_channel(address) as channel:
        stub = window_pb2_grpc.WindowServiceStub(channel)
        windows: list[tuple[str, list[SyntheticPeer]]] = []
        try:
            for count in range(1, max_windows + 1):
                window_id, peers, setup = await open_window(stub, 640, 480, 15)
                windows.append((window_id, peers))
                setups += setup
                await asyncio.sleep(3)  # let encoders settle
                before = {id(r): r.frames for _, ps in windows for p in ps for r in p.received
                          if r.kind == "video"}
                await asyncio.sleep(measure_s)
                rates = [(r.frames - before.get(id(r), 0)) / measure_s
                         for _, ps in windows for p in ps for r in p.received if r.kind == "video"]
                worst = min(rates) if rates else 0.0
                rows.append([count, f"{worst:.1f}", f"{sum(rates) / len(rates):.1f}"])
                print(f"  {count} window(s): worst party {worst:.1f} fps", flush=True)
                if worst < TARGET_FPS:
                    break
                held = count
        finally:
            for window_id, peers in windows:
                await close_window(stub, window_id, peers)
    return rows, setups, held


async def cycles(address: str, pid: int, count: int) -> tuple[float, float, float]:
    progress = Progress(f"{count} open/close cycles", count)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = window_pb2_grpc.WindowServiceStub(channel)
        start = rss_mb(pid)
        after_warmup = start
        for i in range(count):
            window_id, peers, _ = await open_window(stub, 160, 120, 10)
            await asyncio.sleep(0.3)
            await close_window(stub, window_id, peers)
            if i == 9:
                after_warmup = rss_mb(pid)  # codecs and pools are loaded by now
            progress.advance()
        await asyncio.sleep(1)
        return start, after_warmup, rss_mb(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-windows", type=int, default=12)
    parser.add_argument("--measure-seconds", type=float, default=8)
    parser.add_argument("--cycles", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    use_loopback_ice()
    with kafka_for_bench() as kafka:
        env = bench_env(kafka)
        env.update(TONGBAN_LOOPBACK_ICE="true", TONGBAN_OPEN_ON_ASSIGNMENT="false")
        with service_process("services.window", env) as address:
            rows, setups, held = asyncio.run(capacity(address, args.max_windows,
                                                      args.measure_seconds))
            start, warm, end = asyncio.run(cycles(address, address.pid, args.cycles))
    print(table("Windows held (each recorded, two parties at 640x480 15 fps)",
                ["windows", "worst party fps", "mean party fps"], rows))
    print(table("Window service (one process, parties on the same machine)",
                ["measure", "value"], [
                    [f"recorded windows held with every party >= {TARGET_FPS:.0f} fps", held],
                    ["setup offer -> connected p50", f"{percentile(setups, 50):.0f} ms"],
                    ["setup offer -> connected p99", f"{percentile(setups, 99):.0f} ms"],
                    [f"RSS before / after 10 / after {args.cycles} cycles",
                     f"{start:.0f} / {warm:.0f} / {end:.0f} MB"],
                    [f"RSS growth after warm-up over {args.cycles - 10} cycles",
                     f"{end - warm:.1f} MB"],
                ]))


if __name__ == "__main__":
    main()
