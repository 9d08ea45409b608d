"""Limits in memory, per gateway process: a sliding window for plain request rates (kiosk
applications, certificate checks) and growing delays for failed sign-ins.

Failed sign-ins slow the one who fails, never the account: a key is a username *and* the
address it is tried from (and, with a larger allowance, the address alone, against one
address spraying many usernames). Someone guessing a named official's password from their
own address waits longer after each miss, while the official, from theirs, signs in as
usual. With several replicas each keeps its own counts: an attacker gets the allowance once
per replica, still a small number; a shared store would make it exact.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


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

    def take(self, *keys: str) -> float:
        """Counts one request against every key unless one is over its limit; the seconds
        to wait (0 when the request may go ahead)."""
        wait = self.retry_after(*keys)
        if wait <= 0:
            self.hit(*keys)
        return wait


@dataclass
class _Failures:
    count: int
    last: float


class GrowingDelay:
    """After `free` failures under a key, each further attempt must wait `first_delay_s`,
    doubling with every failure up to `max_delay_s`, counted from the last failure. A
    success clears the key; a key quiet for `forget_s` is forgotten."""

    def __init__(
        self,
        free: int,
        first_delay_s: float,
        max_delay_s: float,
        forget_s: float = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.free = free
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.forget_s = max(forget_s, max_delay_s)
        self.clock = clock
        self.max_keys = max_keys
        self._failures: dict[str, _Failures] = {}

    def delay_after(self, failures: int) -> float:
        """How long an attempt waits after `failures` failures in a row."""
        if failures < self.free:
            return 0.0
        return float(min(self.max_delay_s, self.first_delay_s * 2 ** min(failures - self.free, 60)))

    def _current(self, key: str, now: float) -> _Failures | None:
        found = self._failures.get(key)
        if found is not None and now - found.last > self.forget_s:
            del self._failures[key]
            return None
        return found

    def wait(self, *keys: str) -> float:
        """Seconds until an attempt under every key may be made; 0 when it may now."""
        now = self.clock()
        longest = 0.0
        for key in keys:
            found = self._current(key, now)
            if found is not None:
                longest = max(longest, found.last + self.delay_after(found.count) - now)
        return longest

    def failed(self, *keys: str) -> None:
        now = self.clock()
        if len(self._failures) >= self.max_keys:
            quiet = sorted(self._failures.items(), key=lambda item: item[1].last)
            for key, _ in quiet[: len(quiet) // 2]:
                del self._failures[key]
        for key in keys:
            found = self._current(key, now)
            self._failures[key] = _Failures((found.count if found else 0) + 1, now)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)

    def failures(self, key: str) -> int:
        found = self._current(key, self.clock())
        return found.count if found else 0
