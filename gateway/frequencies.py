"""How often each matter was handled for a hall's province, from results' GetStats, kept a
few minutes: the matter finder ranks the frequent matters first and shows them as quick
picks. GetStats counts per (hall province, target province, matter); it has no per-hall
figure, so a hall ranks by its whole province's traffic. If results is unavailable the
finder works without figures rather than fail a kiosk's search."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import ApiError
from gateway.grpc_clients import Services
from tongban.results.v1 import results_pb2

log = logging.getLogger(__name__)
FRESH_S = 300.0  # figures change slowly; a kiosk types a search letter by letter
RETRY_S = 30.0  # after results failed, how long to go without figures before asking again
STATS_TIMEOUT_S = 2.0  # a search must not wait long for a ranking hint


def counts_by_matter(rows: Iterable[Any]) -> dict[str, int]:
    """GetStats rows summed over target provinces: matter code → cases."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.matter_code] = counts.get(row.matter_code, 0) + int(row.volume)
    return counts


@dataclass
class _Cached:
    counts: dict[str, int]
    until: float


@dataclass
class MatterFrequencies:
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, _Cached] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def counts(self, services: Services, hall_province: str) -> dict[str, int]:
        cached = self._cache.get(hall_province)
        if cached and cached.until > self.clock():
            return cached.counts
        # one refresh per province at a time: the other searches wait for its answer
        async with self._locks.setdefault(hall_province, asyncio.Lock()):
            cached = self._cache.get(hall_province)
            if cached and cached.until > self.clock():
                return cached.counts
            try:
                reply = await services.call(
                    "results",
                    "GetStats",
                    results_pb2.GetStatsRequest(hall_province=hall_province),
                    timeout=STATS_TIMEOUT_S,
                )
            except ApiError as error:
                log.warning("matter figures unavailable for %s: %s", hall_province, error.message_en)
                stale = cached.counts if cached else {}
                self._cache[hall_province] = _Cached(stale, self.clock() + RETRY_S)
                return stale
            counts = counts_by_matter(reply.rows)
            self._cache[hall_province] = _Cached(counts, self.clock() + FRESH_S)
            return counts
