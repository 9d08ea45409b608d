"""The simulator's plans (halls, bot officials, applicants, decisions) and its stage
reckoning, without a stack."""

from __future__ import annotations

import random
from datetime import date

import pytest

from cli import population
from cli.population import PlanError, Shares
from cli.stages import Seen, reckon, spans
from services.intake import domain
from services.shared.catalog import load_catalog

TODAY = date(2025, 6, 2)


def test_halls_spread_over_provinces_before_a_second_hall_of_one() -> None:
    catalog = load_catalog()
    halls = population.pick_halls(catalog, 6)
    assert len({h.province for h in halls}) == 6
    assert len(population.pick_halls(catalog, len(catalog.halls()))) == len(catalog.halls())
    with pytest.raises(PlanError, match="between 1 and"):
        population.pick_halls(catalog, len(catalog.halls()) + 1)
    with pytest.raises(PlanError):
        population.pick_halls(catalog, 0)


def test_officials_cover_at_least_two_provinces_and_every_hall_can_send_work() -> None:
    catalog = load_catalog()
    halls = population.pick_halls(catalog, 8)
    for count in (2, 3, 4, 9):
        officials = population.plan_officials(catalog, count, halls, "t")
        assert len(officials) == count and len({o.id for o in officials}) == count
        assert len({o.province for o in officials}) >= 2
        for hall in halls:
            assert any(o.province != hall.province for o in officials)
    lone = population.plan_officials(catalog, 1, halls, "t")
    assert lone[0].province not in {h.province for h in halls}
    with pytest.raises(PlanError, match="unknown province"):
        population.plan_officials(catalog, 2, halls, "t", ["999999"])
    with pytest.raises(PlanError, match="no official outside"):
        population.plan_officials(
            catalog,
            2,
            [catalog.hall("hall-310101-01")],  # type: ignore[list-item]
            "t",
            ["310000"],
        )


def test_applicants_are_valid_cross_province_and_served_by_a_bot_who_can() -> None:
    catalog = load_catalog()
    rng = random.Random(7)
    halls = population.pick_halls(catalog, 10)
    officials = population.plan_officials(catalog, 6, halls, "t")
    applicants = [population.make_applicant(rng, catalog, halls, officials, TODAY) for _ in range(600)]
    elderly = 0
    for a in applicants:
        valid = domain.validate_application(
            catalog,
            today=TODAY,
            name=a.name,
            id_number=a.id_number,
            phone=a.phone,
            hall_id=a.hall.id,
            matter_code=a.matter.code,
            target_province=a.target_province,
            preferred_language=a.language,
            delivery_method=a.delivery_method,
        )
        assert valid.hall.province != a.target_province
        elderly += domain.is_elderly(valid.resident_id.birth_date, TODAY)
        assert a.matter.department.code == a.official.department
        assert {m.code for m in a.matter.key_materials} <= set(a.uploads)
        if a.language == "sign":
            assert "sign" in a.official.languages and a.disability
        assert a.id_number not in repr(a) and a.phone not in repr(a)
    assert 0.18 < elderly / len(applicants) < 0.32  # from the birth date, as intake derives it
    assert 0 < sum(a.language != "zh" for a in applicants) < 120
    assert sum(bool(a.missing) for a in applicants) > 0  # some 容缺受理
    assert len({a.official.id for a in applicants}) == len(officials)  # every bot gets work


def test_arrivals_are_a_poisson_process_of_the_rate() -> None:
    offsets = population.arrivals(random.Random(3), 2.0, 500)
    assert offsets == sorted(offsets) and offsets[0] >= 0 and offsets[-1] < 500
    assert 900 < len(offsets) < 1100
    with pytest.raises(PlanError):
        population.arrivals(random.Random(), 0, 10)


def test_decisions_follow_the_shares_and_a_supplemented_case_is_decided_for_good() -> None:
    rng = random.Random(5)
    shares = Shares(supplement=0.2, rejection=0.1)
    first = [population.decide(rng, shares, 0) for _ in range(5000)]
    assert 0.17 < first.count("SUPPLEMENT_REQUESTED") / 5000 < 0.23
    assert 0.08 < first.count("REJECTED") / 5000 < 0.12
    second = [population.decide(rng, shares, 1) for _ in range(5000)]
    assert "SUPPLEMENT_REQUESTED" not in second
    assert 0.08 < second.count("REJECTED") / 5000 < 0.12
    with pytest.raises(PlanError):
        Shares(supplement=0.8, rejection=0.3)
    levels = [population.rating(rng, "APPROVED", False)[0] for _ in range(2000)]
    assert 0.04 < sum(level <= 2 for level in levels) / 2000 < 0.15


def test_stages_count_a_supplement_journey_from_its_first_submission() -> None:
    events = [
        Seen("ApplicationSubmitted", 0.0),
        Seen("CaseQueued", 0.1),
        Seen("CaseReserved", 0.2),
        Seen("CaseAssigned", 0.3),
        Seen("WindowConnected", 0.5),
        Seen("DecisionRecorded", 2.0, "SUPPLEMENT_REQUESTED"),
        Seen("MaterialUploaded", 3.0),
        Seen("CaseQueued", 3.1),
        Seen("CaseReserved", 3.2),
        Seen("ReservationTimedOut", 4.0),
        Seen("CaseReserved", 4.2),
        Seen("CaseAssigned", 4.3),
        Seen("WindowConnected", 4.5),
        Seen("DecisionRecorded", 6.0, "APPROVED"),
        Seen("ResultDelivered", 6.1),
    ]
    reckoning = reckon(reversed(events))  # read in any order: times decide
    assert reckoning.supplement_rounds == 1 and reckoning.outcome == "APPROVED"
    assert reckoning.marks == {
        "submitted": 0.0,
        "queued": 3.1,
        "reserved": 3.2,
        "assigned": 4.3,
        "window connected": 4.5,
        "decided": 6.0,
        "delivered": 6.1,
    }
    rows = {s.label: s.samples_ms for s in spans([reckoning])}
    assert rows["submitted → queued"] == [pytest.approx(3100)]
    assert rows["submitted → delivered"] == [pytest.approx(6100)]
    rejected = reckon([Seen("ApplicationSubmitted", 0.0), Seen("DecisionRecorded", 1.0, "REJECTED")])
    assert "delivered" not in rejected.marks and rejected.outcome == "REJECTED"
