"""The matter finder's accuracy over the measuring sets (tests/intake/data): a quality floor,
not a speed one. `make bench-finder` prints the same figures per kind of query."""

from __future__ import annotations

from collections import Counter

import pytest

from bench import finder as measuring
from services.intake.finder import index_for
from services.intake.finder.serve import offered
from services.shared.catalog import load_catalog

CATALOG = load_catalog()
OFFERED = offered(CATALOG, measuring.KIOSK_HALL)
TOP3_FLOOR = 0.95  # issue 23's goal
TOP1_FLOOR = 0.90


def test_the_first_set_has_200_queries_over_every_matter_and_every_kind() -> None:
    queries = measuring.load(measuring.SETS["written first"])
    assert len(queries) >= 200
    per_matter = Counter(q.expected for q in queries)
    assert set(per_matter) == OFFERED and min(per_matter.values()) >= 6
    assert {q.kind for q in queries} == {"zh", "spoken", "typo", "pinyin", "initials", "en", "en-typo"}


@pytest.mark.parametrize("name", list(measuring.SETS))
def test_accuracy_is_above_the_floor(name: str) -> None:
    queries = measuring.load(measuring.SETS[name])
    assert all(CATALOG.matter(q.expected) for q in queries)
    top1, top3 = measuring.measure(index_for(CATALOG), queries, OFFERED)["all"].rates()
    misses = measuring.misses(index_for(CATALOG), queries, OFFERED)
    assert top3 >= TOP3_FLOOR, misses
    assert top1 >= TOP1_FLOOR
