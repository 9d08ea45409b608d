import random
from datetime import date

import pytest

from cli.idgen import make_id_number, random_id_number
from services.intake import domain
from services.shared.catalog import load_catalog

TODAY = date(2026, 11, 24)
CATALOG = load_catalog()


def test_reproduces_the_standards_examples() -> None:
    assert make_id_number("110105", date(1949, 12, 31), 2) == "11010519491231002X"
    assert make_id_number("440524", date(1880, 1, 1), 1) == "440524188001010014"


@pytest.mark.parametrize("division", ["340104", "310101", "110105", "440507", "650102", "469001"])
@pytest.mark.parametrize("sequence", [0, 1, 2, 123, 998, 999])
def test_generated_numbers_pass_validation(division: str, sequence: int) -> None:
    number = make_id_number(division, date(1990, 2, 28), sequence)
    resident = domain.parse_id_number(number, TODAY, CATALOG)
    assert (resident.division, resident.birth_date, resident.sequence) == (
        division,
        date(1990, 2, 28),
        sequence,
    )
    assert resident.male == (sequence % 2 == 1)


def test_every_check_character_occurs() -> None:
    # all eleven outcomes of MOD 11-2, X included, come out of the generator
    checks = {make_id_number("340104", date(1990, 1, 1), s)[-1] for s in range(200)}
    assert checks == set(domain.ID_CHECK)


def test_random_numbers_respect_the_age_band() -> None:
    rng = random.Random(7)
    for _ in range(300):
        elderly = domain.parse_id_number(random_id_number(rng, "340104", True, TODAY), TODAY, CATALOG)
        adult = domain.parse_id_number(random_id_number(rng, "310101", False, TODAY), TODAY, CATALOG)
        assert domain.is_elderly(elderly.birth_date, TODAY) and 60 <= elderly.age_on(TODAY) <= 90
        assert not domain.is_elderly(adult.birth_date, TODAY) and 18 <= adult.age_on(TODAY) < 60


def test_the_same_seed_gives_the_same_numbers() -> None:
    one = [random_id_number(random.Random(3), "340104", today=TODAY) for _ in range(3)]
    assert one == [random_id_number(random.Random(3), "340104", today=TODAY) for _ in range(3)]


@pytest.mark.parametrize(
    ("division", "birth", "sequence", "error"),
    [
        ("3401", date(1990, 1, 1), 1, "6 digits"),
        ("34010a", date(1990, 1, 1), 1, "6 digits"),
        ("３４０１０４", date(1990, 1, 1), 1, "6 digits"),
        ("340104", date(1990, 1, 1), 1000, "0-999"),
        ("340104", date(1990, 1, 1), -1, "0-999"),
        ("340104", date(999, 1, 1), 1, "4 digits"),
    ],
)
def test_bad_input_is_refused(division: str, birth: date, sequence: int, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        make_id_number(division, birth, sequence)
