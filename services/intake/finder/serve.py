"""SearchMatters' rules between the wire and the index: what a request may hold, which
matters a hall's kiosk may offer, and when the quick picks stand in for an answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.intake.finder import index_for
from services.intake.finder.index import Hit
from services.shared import errors
from services.shared.catalog import Catalog
from services.shared.errors import FieldViolation
from tongban.intake.v1 import intake_pb2

MAX_QUERY_CHARS = 100
DEFAULT_LIMIT = 8
MAX_LIMIT = 50


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    outcome: intake_pb2.SearchOutcome


def violations(
    catalog: Catalog, hall_id: str, query: str, counts: Mapping[str, int], limit: int
) -> list[FieldViolation]:
    found: list[FieldViolation] = []
    if catalog.hall(hall_id) is None:
        found.append(
            FieldViolation(
                "hall_id", "UNKNOWN_HALL", f"未知的服务大厅 {hall_id!r}", f"unknown hall {hall_id!r}"
            )
        )
    if len(query) > MAX_QUERY_CHARS:
        found.append(
            FieldViolation(
                "query",
                "TOO_LONG",
                f"查询内容最多 {MAX_QUERY_CHARS} 个字",
                f"the query has at most {MAX_QUERY_CHARS} characters",
            )
        )
    if not 0 <= limit <= MAX_LIMIT:
        found.append(
            FieldViolation(
                "limit", "OUT_OF_RANGE", f"数量应在 0 到 {MAX_LIMIT} 之间", f"limit must be 0 to {MAX_LIMIT}"
            )
        )
    if any(count < 0 for count in counts.values()):
        found.append(
            FieldViolation("matter_counts", "NEGATIVE", "办件数量不能为负", "case counts cannot be negative")
        )
    return found


def offered(catalog: Catalog, hall_id: str) -> set[str]:
    """The matters this hall's remote window may take: some other province handles them."""
    hall = catalog.hall(hall_id)
    own = hall.province if hall else ""
    return {m.code for m in catalog.matters() if any(p != own for p in catalog.matter_provinces(m.code))}


def search(catalog: Catalog, hall_id: str, query: str, counts: Mapping[str, int], limit: int) -> Found:
    """Raises ServiceError (INVALID_ARGUMENT, every bad field) for a bad request."""
    problems = violations(catalog, hall_id, query, counts, limit)
    if problems:
        raise errors.invalid_argument(problems)
    index = index_for(catalog)
    allowed = offered(catalog, hall_id)
    limit = limit or DEFAULT_LIMIT
    if query.strip():
        hits = index.search(query, counts, allowed, limit)
        if hits:
            return Found(hits, intake_pb2.SEARCH_OUTCOME_MATCHED)
        outcome = intake_pb2.SEARCH_OUTCOME_NO_MATCH
    else:
        outcome = intake_pb2.SEARCH_OUTCOME_QUICK_PICKS
    picks = [Hit(m, 0.0) for m in index.quick_picks(counts, allowed, limit)]
    return Found(picks, outcome)
