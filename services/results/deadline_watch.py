"""Watches statutory deadlines: recomputes each open case's due date (pauses included) and
sends case.deadline_warning and case.overdue once per due date."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date

from services.results.calendar import WorkCalendar
from services.results.deadlines import Deadline, Pause
from services.results.store import ResultsStore, as_date
from services.shared import cloudevents
from tongban.events.v1 import events_pb2

log = logging.getLogger(__name__)


class DeadlineWatch:
    def __init__(
        self,
        store: ResultsStore,
        calendar: WorkCalendar,
        interval_s: float,
        warn_days: int,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.today = today  # the service's clock
        self.store = store
        self.calendar = calendar
        self.interval_s = interval_s
        self.warn_days = warn_days
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="deadline-watch")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep(self.today())
            except Exception:  # a bad sweep must not stop the next one
                log.exception("deadline sweep failed")
            await asyncio.sleep(self.interval_s)

    async def sweep(self, today: date) -> tuple[int, int]:
        """One pass; returns (warnings sent, overdue notices sent)."""
        warned = overdue = 0
        for row in await self.store.open_deadlines():
            pauses = tuple(Pause(s, e) for s, e in zip(row["starts"], row["ends"], strict=True))
            deadline = Deadline(as_date(row["submitted_at"]), row["time_limit_days"], pauses)
            due = deadline.due(self.calendar)
            async with self.store.pool.acquire() as conn, conn.transaction():
                if due != row["due_date"]:
                    await self.store.set_due_date(conn, row["case_id"], due)
                if due is None:
                    continue  # the clock is stopped while 补正 materials are awaited
                if deadline.warning_due(
                    self.calendar, today, self.warn_days
                ) and await self.store.notice_once(conn, row["case_id"], "warning", due):
                    left = self.calendar.working_days_between(today, due)
                    await self.store.emit(
                        conn,
                        cloudevents.stamp(
                            events_pb2.CaseDeadlineWarning(
                                case_id=row["case_id"], due_date=due.isoformat(), working_days_left=left
                            )
                        ),
                    )
                    warned += 1
                if deadline.is_overdue(self.calendar, today) and await self.store.notice_once(
                    conn, row["case_id"], "overdue", due
                ):
                    await self.store.emit(
                        conn,
                        cloudevents.stamp(
                            events_pb2.CaseOverdue(case_id=row["case_id"], due_date=due.isoformat())
                        ),
                    )
                    overdue += 1
        return warned, overdue
