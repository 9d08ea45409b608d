"""A sliding-window limiter for login attempts, per username and per client address.

In memory, per gateway process: with several replicas an attacker gets the limit once per
replica, still a small number; a shared store would make it exact.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    def __init__(
        self,
        limit: int,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def retry_after(self, *keys: str) -> float:
        """Seconds until every key may try again; 0 when none is over its limit."""
        now = self.clock()
        wait = 0.0
        for key in keys:
            hits = self._recent(key, now)
            if len(hits) >= self.limit:
                wait = max(wait, hits[0] + self.window_s - now)
        return wait

    def hit(self, *keys: str) -> None:
        now = self.clock()
        if len(self._hits) > self.max_keys:
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window_s}
        for key in keys:
            self._recent(key, now).append(now)
