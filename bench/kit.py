"""What every benchmark shares: the machine's figures and an engine to measure against (the
running stack's, or a private one it starts). Progress lines and tables: cli.textout."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tools.engines import KafkaNode, PostgresNode, free_port


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({model}), {mem_gib:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


@contextlib.contextmanager
def kafka_for_bench() -> Iterator[str]:
    """TONGBAN_KAFKA_BOOTSTRAP if set (e.g. the `make dev` stack), else a private broker."""
    if os.environ.get("TONGBAN_KAFKA_BOOTSTRAP"):
        yield os.environ["TONGBAN_KAFKA_BOOTSTRAP"]
        return
    home = Path(tempfile.mkdtemp(prefix="tongban-bench-kafka-"))
    node = KafkaNode(home, free_port(), free_port())
    print("  starting a private Kafka broker ...", file=sys.stderr, flush=True)
    node.start()
    try:
        yield node.bootstrap
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def postgres_for_bench() -> Iterator[str]:
    """TONGBAN_POSTGRES_URL if set, else a private cluster (durable settings, like production)."""
    if os.environ.get("TONGBAN_POSTGRES_URL"):
        yield os.environ["TONGBAN_POSTGRES_URL"]
        return
    home = Path(tempfile.mkdtemp(prefix="tongban-bench-pg-"))
    os.chmod(home, 0o755)
    node = PostgresNode(home / "pg", free_port())
    print("  starting a private PostgreSQL cluster ...", file=sys.stderr, flush=True)
    node.start()
    try:
        yield node.url()
    finally:
        node.stop(mode="immediate")
        shutil.rmtree(home, ignore_errors=True)
