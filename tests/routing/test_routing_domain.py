import random

import pytest

from services.routing.domain import ProvinceRouter, RoutingConfig, RoutingError

SH = "310000"


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


def router(**config: float) -> ProvinceRouter:
    return ProvinceRouter(SH, RoutingConfig(**config))  # type: ignore[arg-type]


def official(
    r: ProvinceRouter,
    oid: str,
    now: float = 0.0,
    dept: str = "housing_fund",
    skills: tuple[str, ...] = ("housing_fund",),
    languages: tuple[str, ...] = ("zh",),
    available: bool = True,
) -> None:
    r.register(oid, dept, list(skills), list(languages), now)
    if available:
        r.set_presence(oid, "AVAILABLE", "", now)


def enqueue(
    r: ProvinceRouter,
    case: str,
    now: float,
    priority: bool = False,
    language: str = "zh",
    matter: str = "HF-TRANSFER",
) -> list[object]:
    return r.enqueue(case, "housing_fund", matter, priority, language, now)


def reserved_for(r: ProvinceRouter, oid: str) -> str:
    return r.officials[oid].reservation_id


def test_a_case_is_reserved_for_the_longest_idle_official() -> None:
    r = router()
    official(r, "a", now=10)
    official(r, "b", now=5)
    events = enqueue(r, "c1", 20)
    assert kinds(events) == ["CaseQueued", "CaseReserved"]
    assert events[1].official_id == "b"  # type: ignore[attr-defined]
    assert events[1].expires_at.seconds == 50  # type: ignore[attr-defined]


def test_accept_assigns_and_finish_wraps_up_before_the_next_offer() -> None:
    r = router(wrap_up_s=30)
    official(r, "a")
    enqueue(r, "c1", 1)
    events = r.accept("a", reserved_for(r, "a"), 2)
    assert kinds(events) == ["ReservationAccepted", "CaseAssigned", "OfficialStateChanged"]
    assert r.position("c1")[:1] == ("assigned",)
    enqueue(r, "c2", 3)
    assert r.position("c2")[0] == "queued"  # a is busy
    r.finish("a", "c1", 100)
    assert r.officials["a"].presence == "WRAP_UP"
    assert "CaseReserved" not in kinds(r.tick(120))
    assert "CaseReserved" in kinds(r.tick(131))


def test_priority_first_then_fifo_with_aging() -> None:
    r = router(priority_bonus_s=300)
    for case, at, priority in [
        ("old", 0, False),
        ("p1", 100, True),
        ("n1", 101, False),
        ("p2", 200, True),
        ("veryold", -400, False),
    ]:
        enqueue(r, case, at, priority)
    official(r, "a", now=1000)
    order = []
    for step in range(5):
        order.append(r.officials["a"].case_id)
        r.accept("a", reserved_for(r, "a"), 1000 + step)
        r.finish("a", order[-1], 1000 + step)
        r.tick(1000 + step + 31)
    # scores (enqueue time minus 300 s for priority): veryold -400, p1 -200, p2 -100, old 0,
    # n1 101: veryold waited long enough to beat priority; among the rest priority leads
    assert order == ["veryold", "p1", "p2", "old", "n1"]


def test_timeout_puts_the_case_back_at_the_head_and_two_misses_pause_the_official() -> None:
    r = router(reservation_timeout_s=30)
    official(r, "a", now=0)
    enqueue(r, "c1", 1)
    enqueue(r, "c2", 2)
    events = r.tick(40)  # a missed c1
    assert kinds(events)[:2] == ["ReservationTimedOut", "CaseQueued"]
    assert events[1].requeued  # type: ignore[attr-defined]
    assert r.officials["a"].case_id == "c1"  # offered again first: it kept its place
    events = r.tick(80)  # second miss in a row
    assert "OfficialStateChanged" in kinds(events)
    assert r.officials["a"].presence == "AWAY"
    assert r.officials["a"].away_reason == "missed_reservations"
    assert r.position("c1")[:2] == ("queued", 1)


def test_reject_goes_to_the_next_official() -> None:
    r = router()
    official(r, "a", now=0)
    official(r, "b", now=1)
    enqueue(r, "c1", 2)
    first = r.officials["a"].reservation_id
    events = r.reject("a", first, "need_break", 3)
    assert kinds(events)[:3] == ["ReservationRejected", "CaseQueued", "CaseReserved"]
    assert r.officials["b"].case_id == "c1" and r.officials["a"].presence == "AVAILABLE"


def test_accept_errors_are_distinct() -> None:
    r = router(reservation_timeout_s=30)
    official(r, "a", now=0)
    official(r, "b", now=1)
    enqueue(r, "c1", 2)
    reservation = reserved_for(r, "a")
    with pytest.raises(RoutingError) as caught:
        r.accept("b", reservation, 3)
    assert caught.value.code == "NOT_YOURS"
    with pytest.raises(RoutingError) as caught:
        r.accept("a", "nope:1", 3)
    assert caught.value.code == "UNKNOWN"
    with pytest.raises(RoutingError) as caught:
        r.accept("a", reservation, 100)
    assert caught.value.code == "EXPIRED"
    with pytest.raises(RoutingError) as caught:
        r.accept("ghost", reservation, 3)
    assert caught.value.code == "UNKNOWN_OFFICIAL"


def test_skills_widen_after_the_configured_wait_and_sign_language_is_hard() -> None:
    r = router(widen_after_s=120)
    official(r, "specialist", skills=("MI-TRANSFER",))
    enqueue(r, "c1", 0, matter="HF-TRANSFER")
    assert r.position("c1")[0] == "queued"
    assert "CaseReserved" in kinds(r.tick(121))
    r2 = router(widen_after_s=0)
    official(r2, "speaker", languages=("zh",))
    enqueue(r2, "deaf", 0, language="sign")
    assert r2.position("deaf")[0] == "queued"
    official(r2, "signer", now=5, languages=("zh", "sign"))
    assert r2.officials["signer"].case_id == "deaf"


def test_language_is_a_preference_otherwise() -> None:
    r = router()
    official(r, "zh", now=0)
    official(r, "yue", now=5, languages=("zh", "yue"))
    enqueue(r, "c1", 10, language="yue")
    assert r.officials["yue"].case_id == "c1"  # the Cantonese speaker, though less idle
    enqueue(r, "c2", 11, language="en")
    assert r.officials["zh"].case_id == "c2"  # nobody speaks English: still served


def test_sla_breach_once_and_positions_refresh() -> None:
    r = router(sla_after_s=600)
    for i in range(3):
        enqueue(r, f"c{i}", i)
    assert kinds(r.tick(700)).count("QueueSlaBreached") == 3
    assert "QueueSlaBreached" not in kinds(r.tick(800))
    r.cancel("c0", 801)
    moved = [e for e in r.tick(802) if type(e).__name__ == "QueuePositionChanged"]
    assert [(e.case_id, e.position) for e in moved] == [("c1", 1), ("c2", 2)]  # type: ignore[attr-defined]


def test_redelivered_commands_are_no_ops() -> None:
    r = router()
    enqueue(r, "c1", 0)
    assert enqueue(r, "c1", 5) == []
    official(r, "a", now=6)
    r.accept("a", reserved_for(r, "a"), 7)
    r.finish("a", "c1", 8)
    assert enqueue(r, "c1", 9) == [] and r.finish("a", "c1", 10) == []


def test_a_resubmission_after_supplements_queues_the_finished_case_again() -> None:
    r = router(wrap_up_s=0)
    official(r, "a", now=0)
    enqueue(r, "c1", 1)
    r.accept("a", reserved_for(r, "a"), 2)
    r.finish("a", "c1", 3)  # decided 补正: the official wraps up, the applicant goes home
    r.tick(4)
    again = r.enqueue("c1", "housing_fund", "HF-TRANSFER", False, "zh", 10, submission_round=2)
    assert kinds(again) == ["CaseQueued", "CaseReserved"]  # offered again, to the idle official
    assert r.position("c1")[0] == "reserved"
    # a redelivered resubmission, or the first submission again, changes nothing
    assert r.enqueue("c1", "housing_fund", "HF-TRANSFER", False, "zh", 11, submission_round=2) == []
    assert enqueue(r, "c1", 12) == []
    copy = ProvinceRouter.from_dict(r.to_dict(), r.config)
    assert copy.rounds == {"c1": 2}
    r.accept("a", reserved_for(r, "a"), 13)
    r.finish("a", "c1", 14)
    r.tick(15)
    assert (
        r.enqueue("c1", "housing_fund", "HF-TRANSFER", False, "zh", 16, submission_round=2) == []
    )  # that round is done
    assert (
        kinds(r.enqueue("c1", "housing_fund", "HF-TRANSFER", False, "zh", 17, submission_round=3))[0]
        == "CaseQueued"
    )  # a second 补正 round


def test_state_round_trips_through_a_dict() -> None:
    r = router()
    official(r, "a", now=0)
    official(r, "b", now=0, available=False)
    for i in range(5):
        enqueue(r, f"c{i}", i, priority=i % 2 == 0)
    copy = ProvinceRouter.from_dict(r.to_dict(), r.config)
    assert copy.to_dict() == r.to_dict()
    assert kinds(copy.set_presence("b", "AVAILABLE", "", 10)) == kinds(
        r.set_presence("b", "AVAILABLE", "", 10)
    )
    assert copy.to_dict() == r.to_dict()


def test_unknown_officials_and_bad_presence() -> None:
    r = router()
    with pytest.raises(RoutingError, match="no official"):
        r.set_presence("ghost", "AVAILABLE", "", 0)
    official(r, "a", available=False)
    with pytest.raises(RoutingError) as caught:
        r.set_presence("a", "BUSY", "", 0)
    assert caught.value.code == "BAD_PRESENCE"


@pytest.mark.parametrize("seed", range(8))
def test_invariants_under_random_commands(seed: int) -> None:
    """Never two officials on a case, never two cases on an official, nothing lost or doubled."""
    rng = random.Random(seed)
    r = router(reservation_timeout_s=20, wrap_up_s=5, widen_after_s=60, sla_after_s=200)
    officials = [f"o{i}" for i in range(6)]
    for oid in officials:
        official(
            r,
            oid,
            skills=rng.choice([("housing_fund",), ("HF-TRANSFER",), ("*",)]),
            languages=rng.choice([("zh",), ("zh", "sign")]),
            available=False,
        )
    alive: set[str] = set()
    gone: set[str] = set()
    now = 0.0
    for step in range(3000):
        now += rng.random() * 3
        action = rng.random()
        try:
            if action < 0.3:
                case = f"c{step}"
                enqueue(
                    r, case, now, priority=rng.random() < 0.3, language=rng.choice(["zh", "zh", "en", "sign"])
                )
                alive.add(case)
            elif action < 0.4 and alive:
                case = rng.choice(sorted(alive))
                r.cancel(case, now)
                alive.discard(case)
                gone.add(case)
            elif action < 0.55:
                r.set_presence(
                    rng.choice(officials), rng.choice(["AVAILABLE", "AVAILABLE", "AWAY"]), "break", now
                )
            elif action < 0.75:
                oid = rng.choice(officials)
                if r.officials[oid].reservation_id:
                    if rng.random() < 0.8:
                        r.accept(oid, r.officials[oid].reservation_id, now)
                    else:
                        r.reject(oid, r.officials[oid].reservation_id, "no", now)
            elif action < 0.9:
                oid = rng.choice(officials)
                case_id = r.officials[oid].case_id
                if case_id and r.cases[case_id].state == "assigned":
                    r.finish(oid, case_id, now)
                    alive.discard(case_id)
                    gone.add(case_id)
            else:
                r.tick(now)
        except RoutingError as error:
            assert error.code in {"BUSY", "EXPIRED"}
        holders: dict[str, str] = {}
        for o in r.officials.values():
            if o.case_id:
                assert o.case_id not in holders, "a case held by two officials"
                holders[o.case_id] = o.id
                assert r.cases[o.case_id].official_id == o.id
        for case in r.cases.values():
            if case.state in {"reserved", "assigned"}:
                assert holders.get(case.case_id) == case.official_id
                assert case.official_id in r.officials  # only this province's officials exist
        queued = [c for _, _, c in (item for q in r.queues.values() for item in q)]
        assert len(queued) == len(set(queued))
        assert set(queued) == {c.case_id for c in r.cases.values() if c.state == "queued"}
        assert set(r.cases) == alive  # nothing lost, nothing left behind
        assert not set(r.cases) & gone
