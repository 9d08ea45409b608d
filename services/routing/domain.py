"""Routing's pure core: one ProvinceRouter per jurisdiction holds its queues, officials and
reservations. Every command takes `now` (seconds) and returns the events it causes; there is
no I/O and no clock, so the rules are unit-tested directly and the state round-trips through
plain dicts (the faust table keeps it).

Order in a queue: priority (优先办: elderly, disability) first, then waiting time, with aging:
a case's score is its enqueue time minus a bonus when it has priority, so a case that has
waited `priority_bonus_s` longer ties with a priority one; ties go by arrival (FIFO).
A reservation missed (rejected or timed out) puts the case back where it was (its original
score: the head of the queue) and counts a miss; two misses in a row set the official AWAY.
Language: sign language (手语) is a hard requirement; any other language is a preference.
"""

from __future__ import annotations

import bisect
import math
import statistics
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from tongban.events.v1 import events_pb2
from tongban.types.v1 import types_pb2

P = types_pb2
PRESENCE = {
    "AVAILABLE": P.PRESENCE_AVAILABLE,
    "BUSY": P.PRESENCE_BUSY,
    "WRAP_UP": P.PRESENCE_WRAP_UP,
    "AWAY": P.PRESENCE_AWAY,
    "OFFLINE": P.PRESENCE_OFFLINE,
}
SETTABLE = {"AVAILABLE", "AWAY", "OFFLINE"}


class RoutingError(Exception):
    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class RoutingConfig:
    reservation_timeout_s: float = 30.0
    wrap_up_s: float = 30.0
    priority_bonus_s: float = 300.0
    widen_after_s: float = 120.0
    sla_after_s: float = 600.0
    misses_to_away: int = 2
    history: int = 50
    default_handling_s: float = 300.0


@dataclass
class Official:
    id: str
    department: str
    skills: list[str]
    languages: list[str]
    display_name: str = ""
    presence: str = "OFFLINE"
    away_reason: str = ""
    idle_since: float = 0.0
    case_id: str = ""
    reservation_id: str = ""
    reservation_expires: float = 0.0
    misses: int = 0
    wrap_until: float = 0.0
    assigned_at: float = 0.0

    def can_handle(self, case: Case, widened: bool) -> bool:
        if self.department != case.department:
            return False
        if case.language == "sign" and "sign" not in self.languages:
            return False
        if widened or "*" in self.skills or case.department in self.skills:
            return True
        return case.matter_code in self.skills


@dataclass
class Case:
    case_id: str
    department: str
    matter_code: str
    priority: bool
    language: str
    enqueued_at: float
    seq: int
    state: str = "queued"  # queued | reserved | assigned
    official_id: str = ""
    reservation_id: str = ""
    attempts: int = 0
    sla_breached: bool = False
    position: int = 0
    eta_s: int = 0

    def score(self, bonus: float) -> tuple[float, int]:
        return (self.enqueued_at - (bonus if self.priority else 0.0), self.seq)


class ProvinceRouter:
    def __init__(self, province: str, config: RoutingConfig | None = None) -> None:
        self.province = province
        self.config = config or RoutingConfig()
        self.officials: dict[str, Official] = {}
        self.cases: dict[str, Case] = {}
        self.queues: dict[str, list[tuple[float, int, str]]] = {}  # department → sorted scores
        self.handled: dict[str, list[float]] = {}
        self.finished: list[str] = []  # recent finished case ids, for idempotent redelivery
        # the latest submission round enqueued per recent case: a redelivered submission is
        # dropped, a resubmission after 补正 (a higher round) queues the case again
        self.rounds: dict[str, int] = {}
        self.seq = 0

    # ------------------------------------------------------------------ helpers

    def _event(self, kind: type[Message], now: float, **fields: Any) -> Message:
        event = kind(province=self.province, **fields)
        event.occurred_at.FromNanoseconds(int(now * 1e9))  # type: ignore[attr-defined]
        return event

    def _official(self, official_id: str) -> Official:
        official = self.officials.get(official_id)
        if official is None:
            raise RoutingError(
                "UNKNOWN_OFFICIAL",
                f"{self.province} 没有工作人员 {official_id}",
                f"no official {official_id} in {self.province}",
            )
        return official

    def _state_changed(self, official: Official, now: float) -> Message:
        return self._event(
            events_pb2.OfficialStateChanged,
            now,
            official_id=official.id,
            presence=PRESENCE[official.presence],
            reason=official.away_reason,
        )

    def _queue_insert(self, case: Case) -> None:
        score = case.score(self.config.priority_bonus_s)
        bisect.insort(self.queues.setdefault(case.department, []), (*score, case.case_id))

    def _queue_remove(self, case: Case) -> None:
        queue = self.queues.get(case.department, [])
        key = (*case.score(self.config.priority_bonus_s), case.case_id)
        index = bisect.bisect_left(queue, key)
        if index < len(queue) and queue[index] == key:
            del queue[index]

    def _eta(self, department: str, position: int) -> int:
        history = self.handled.get(department) or [self.config.default_handling_s]
        able = (
            sum(1 for o in self.officials.values() if o.department == department and o.presence != "OFFLINE")
            or 1
        )
        return int(math.ceil(position / able) * statistics.median(history))

    def _position(self, case: Case) -> int:
        queue = self.queues.get(case.department, [])
        return bisect.bisect_left(queue, (*case.score(self.config.priority_bonus_s), case.case_id)) + 1

    # ------------------------------------------------------------------ commands

    def register(
        self,
        official_id: str,
        department: str,
        skills: list[str],
        languages: list[str],
        now: float,
        display_name: str = "",
    ) -> list[Message]:
        known = self.officials.get(official_id)
        if known is not None:
            known.department, known.skills, known.languages = department, skills, languages
            known.display_name = display_name or known.display_name
            return []
        official = Official(
            official_id, department, list(skills), list(languages) or ["zh"], display_name, idle_since=now
        )
        self.officials[official_id] = official
        return [self._state_changed(official, now)]

    def set_presence(self, official_id: str, presence: str, reason: str, now: float) -> list[Message]:
        official = self._official(official_id)
        if presence not in SETTABLE:
            raise RoutingError(
                "BAD_PRESENCE",
                "只能设置为在线、离开或下线",
                "presence can be set to AVAILABLE, AWAY or OFFLINE only",
            )
        if official.presence == "BUSY":  # one case at a time: finish it before anything else
            raise RoutingError("BUSY", "正在办理案件，请先结束当前案件", "finish the current case first")
        events: list[Message] = []
        if official.reservation_id:  # going away with an offer open: it goes back to the queue
            events += self._release(official, now, "presence_changed", timed_out=False, count_miss=False)
        if presence == "AVAILABLE" and official.presence != "AVAILABLE":
            official.idle_since = now
            official.misses = 0
        official.presence = presence
        official.away_reason = reason if presence == "AWAY" else ""
        events.append(self._state_changed(official, now))
        return events + self._dispatch(now)

    def enqueue(
        self,
        case_id: str,
        department: str,
        matter_code: str,
        priority: bool,
        language: str,
        now: float,
        submitted_at: float | None = None,
        submission_round: int = 1,
    ) -> list[Message]:
        """`submitted_at` (when the applicant submitted) orders the queue; submissions are
        read from several partitions, so the order they arrive in is not the order they
        were made in. `submission_round` is 1 for the first submission and counts up with
        every resubmission after 补正, which queues a finished case again."""
        if case_id in self.cases or self.rounds.get(case_id, 0) >= submission_round:
            return []  # a redelivered submission: nothing new
        if submission_round == 1 and case_id in self.finished:
            return []  # its round was forgotten, but the case is done
        self.rounds[case_id] = submission_round
        for old in list(self.rounds)[:-2000]:
            del self.rounds[old]
        self.seq += 1
        waiting_since = min(now, submitted_at) if submitted_at else now
        case = Case(case_id, department, matter_code, priority, language or "zh", waiting_since, self.seq)
        self.cases[case_id] = case
        self._queue_insert(case)
        case.position = self._position(case)
        case.eta_s = self._eta(department, case.position)
        queued = self._event(
            events_pb2.CaseQueued,
            now,
            case_id=case_id,
            department=department,
            position=case.position,
            estimated_wait_seconds=case.eta_s,
            requeued=False,
            priority=priority,
        )
        return [queued, *self._dispatch(now)]

    def cancel(self, case_id: str, now: float) -> list[Message]:
        case = self.cases.pop(case_id, None)
        if case is None:
            return []
        events: list[Message] = []
        if case.state == "queued":
            self._queue_remove(case)
        elif case.official_id in self.officials:
            official = self.officials[case.official_id]
            official.case_id = official.reservation_id = ""
            if official.presence == "BUSY":
                official.presence = "AVAILABLE"
                official.idle_since = now
                events.append(self._state_changed(official, now))
        self._remember_finished(case_id)
        return events + self._dispatch(now)

    def accept(self, official_id: str, reservation_id: str, now: float) -> list[Message]:
        official = self._official(official_id)
        case = self._reserved_case(reservation_id)
        if case is None or case.official_id != official_id:
            owner = case.official_id if case else ""
            if case is None and self._was_reservation(reservation_id):
                raise RoutingError("EXPIRED", "该预约已失效", "the reservation has expired")
            if owner and owner != official_id:
                raise RoutingError(
                    "NOT_YOURS", "该预约不是分配给您的", "the reservation was offered to someone else"
                )
            raise RoutingError("UNKNOWN", "预约不存在", "no such reservation")
        if now > official.reservation_expires:
            events = self._release(official, now, "timed_out", timed_out=True)
            raise (
                RoutingError("EXPIRED", "该预约已超时", "the reservation has expired")
                if not events
                else _ExpiredWith(events)
            )
        case.state = "assigned"
        official.reservation_id = ""
        official.presence = "BUSY"
        official.misses = 0
        official.assigned_at = now
        waited = now - case.enqueued_at
        return [
            self._event(
                events_pb2.ReservationAccepted,
                now,
                case_id=case.case_id,
                reservation_id=reservation_id,
                official_id=official_id,
            ),
            self._event(
                events_pb2.CaseAssigned,
                now,
                case_id=case.case_id,
                official_id=official_id,
                waited_seconds=waited,
            ),
            self._state_changed(official, now),
        ]

    def reject(self, official_id: str, reservation_id: str, reason: str, now: float) -> list[Message]:
        official = self._official(official_id)
        if official.reservation_id != reservation_id:
            raise RoutingError(
                "NOT_YOURS" if self._reserved_case(reservation_id) else "UNKNOWN",
                "该预约不是分配给您的",
                "that reservation is not yours",
            )
        return self._release(official, now, reason or "rejected", timed_out=False) + self._dispatch(now)

    def finish(self, official_id: str, case_id: str, now: float) -> list[Message]:
        official = self._official(official_id)
        case = self.cases.get(case_id)
        if case is None or case.official_id != official_id or case.state != "assigned":
            if case_id in self.finished:
                return []
            raise RoutingError("NOT_ASSIGNED", "该案件不在您的名下", "that case is not assigned to you")
        del self.cases[case_id]
        self._remember_finished(case_id)
        history = self.handled.setdefault(case.department, [])
        history.append(max(1.0, now - official.assigned_at))
        del history[: -self.config.history]
        official.case_id = ""
        official.presence = "WRAP_UP"
        official.wrap_until = now + self.config.wrap_up_s
        return [self._state_changed(official, now)]

    def tick(self, now: float) -> list[Message]:
        """Lapses reservations, ends wrap-ups, breaches SLAs, refreshes positions, dispatches."""
        events: list[Message] = []
        for official in self.officials.values():
            if official.reservation_id and now > official.reservation_expires:
                events += self._release(official, now, "timed_out", timed_out=True)
            if official.presence == "WRAP_UP" and now >= official.wrap_until:
                official.presence = "AVAILABLE"
                official.idle_since = now
                events.append(self._state_changed(official, now))
        for case in self.cases.values():
            if (
                case.state == "queued"
                and not case.sla_breached
                and now - case.enqueued_at >= self.config.sla_after_s
            ):
                case.sla_breached = True
                events.append(
                    self._event(
                        events_pb2.QueueSlaBreached,
                        now,
                        case_id=case.case_id,
                        department=case.department,
                        waited_seconds=now - case.enqueued_at,
                    )
                )
        events += self._dispatch(now)
        events += self._refresh_positions(now)
        return events

    # ------------------------------------------------------------------ internals

    def _remember_finished(self, case_id: str) -> None:
        self.finished.append(case_id)
        del self.finished[:-2000]

    def _reserved_case(self, reservation_id: str) -> Case | None:
        for case in self.cases.values():
            if case.reservation_id == reservation_id and case.state == "reserved":
                return case
        return None

    def _was_reservation(self, reservation_id: str) -> bool:
        case_id, _, _ = reservation_id.rpartition(":")
        return case_id in self.cases

    def _release(
        self, official: Official, now: float, reason: str, timed_out: bool, count_miss: bool = True
    ) -> list[Message]:
        """An offer that was not taken: the case goes back to the head of its queue."""
        case = self._reserved_case(official.reservation_id)
        reservation_id = official.reservation_id
        official.reservation_id = ""
        official.case_id = ""
        events: list[Message] = []
        if case is not None:
            kind = events_pb2.ReservationTimedOut if timed_out else events_pb2.ReservationRejected
            extra = {} if timed_out else {"reason": reason}
            events.append(
                self._event(
                    kind,
                    now,
                    case_id=case.case_id,
                    reservation_id=reservation_id,
                    official_id=official.id,
                    **extra,
                )
            )
            case.state, case.official_id, case.reservation_id = "queued", "", ""
            self._queue_insert(case)
            case.position = self._position(case)
            events.append(
                self._event(
                    events_pb2.CaseQueued,
                    now,
                    case_id=case.case_id,
                    department=case.department,
                    position=case.position,
                    estimated_wait_seconds=self._eta(case.department, case.position),
                    requeued=True,
                    priority=case.priority,
                )
            )
        if count_miss:
            official.misses += 1
        if count_miss and official.misses >= self.config.misses_to_away:
            official.presence, official.away_reason = "AWAY", "missed_reservations"
            events.append(self._state_changed(official, now))
        elif official.presence == "AVAILABLE":
            official.idle_since = now
        return events

    def _dispatch(self, now: float) -> list[Message]:
        available = sorted(
            (o for o in self.officials.values() if o.presence == "AVAILABLE" and not o.reservation_id),
            key=lambda o: o.idle_since,
        )
        if not available:
            return []
        events: list[Message] = []
        for department, queue in self.queues.items():
            pool = [o for o in available if o.department == department]
            index = 0
            while pool and index < len(queue):
                case = self.cases[queue[index][2]]
                widened = now - case.enqueued_at >= self.config.widen_after_s
                able = [o for o in pool if o.can_handle(case, widened)]
                if not able:
                    index += 1
                    continue
                speaks = [o for o in able if case.language in o.languages]
                official = (speaks or able)[0]  # longest idle first
                pool.remove(official)
                available.remove(official)
                del queue[index]
                events.append(self._reserve(case, official, now))
        return events

    def _reserve(self, case: Case, official: Official, now: float) -> Message:
        case.attempts += 1
        case.state = "reserved"
        case.official_id = official.id
        case.reservation_id = f"{case.case_id}:{case.attempts}"
        official.reservation_id = case.reservation_id
        official.case_id = case.case_id
        official.reservation_expires = now + self.config.reservation_timeout_s
        expires = self._event(
            events_pb2.CaseReserved,
            now,
            case_id=case.case_id,
            reservation_id=case.reservation_id,
            official_id=official.id,
        )
        expires.expires_at.FromNanoseconds(  # type: ignore[attr-defined]
            int(official.reservation_expires * 1e9)
        )
        return expires

    def _refresh_positions(self, now: float) -> list[Message]:
        events: list[Message] = []
        for department, queue in self.queues.items():
            for index, (_, _, case_id) in enumerate(queue):
                case = self.cases[case_id]
                position, eta = index + 1, self._eta(department, index + 1)
                if (position, eta) != (case.position, case.eta_s):
                    case.position, case.eta_s = position, eta
                    events.append(
                        self._event(
                            events_pb2.QueuePositionChanged,
                            now,
                            case_id=case_id,
                            position=position,
                            estimated_wait_seconds=eta,
                        )
                    )
        return events

    # ------------------------------------------------------------------ queries

    def position(self, case_id: str) -> tuple[str, int, int, str]:
        """(state, position, estimated wait, official) of a case."""
        case = self.cases.get(case_id)
        if case is None:
            return ("finished" if case_id in self.finished else "unknown", 0, 0, "")
        if case.state != "queued":
            return (case.state, 0, 0, case.official_id)
        position = self._position(case)
        return ("queued", position, self._eta(case.department, position), "")

    def summaries(self, now: float) -> list[dict[str, Any]]:
        departments = set(self.queues) | {o.department for o in self.officials.values()}
        out = []
        for department in sorted(departments):
            queue = self.queues.get(department, [])
            oldest = min((self.cases[c].enqueued_at for _, _, c in queue), default=now)
            out.append(
                {
                    "department": department,
                    "depth": len(queue),
                    "oldest_wait_seconds": now - oldest,
                    "available_officials": sum(
                        1
                        for o in self.officials.values()
                        if o.department == department and o.presence == "AVAILABLE"
                    ),
                }
            )
        return out

    # ------------------------------------------------------------------ persistence

    def to_dict(self) -> dict[str, Any]:
        # vars() copies are several times cheaper than asdict(): this runs after every command
        return {
            "province": self.province,
            "seq": self.seq,
            "officials": [
                {**vars(o), "skills": list(o.skills), "languages": list(o.languages)}
                for o in self.officials.values()
            ],
            "cases": [vars(c).copy() for c in self.cases.values()],
            "handled": self.handled,
            "finished": self.finished,
            "rounds": self.rounds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: RoutingConfig | None = None) -> ProvinceRouter:
        router = cls(data["province"], config)
        router.seq = data["seq"]
        router.handled = {k: list(v) for k, v in data["handled"].items()}
        router.finished = list(data["finished"])
        router.rounds = dict(data.get("rounds", {}))  # states written before rounds existed
        for raw in data["officials"]:
            official = Official(**raw)
            router.officials[official.id] = official
        for raw in data["cases"]:
            case = Case(**raw)
            router.cases[case.case_id] = case
            if case.state == "queued":
                router._queue_insert(case)
        return router


class _ExpiredWith(RoutingError):
    """An accept that came too late: the lapse it caused must still be published."""

    def __init__(self, events: list[Message]) -> None:
        super().__init__("EXPIRED", "该预约已超时", "the reservation has expired")
        self.events = events


def late_accept_events(error: RoutingError) -> list[Message]:
    return list(error.events) if isinstance(error, _ExpiredWith) else []
