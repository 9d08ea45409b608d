"""The kiosk's matter finder (issue 23, part 3): `text` (folding, words, pinyin, stems),
`lexicon` (common names, synonyms, filler, quick picks as data), `index` (the index built
once and the search). Pure: intake's SearchMatters serves it."""

from __future__ import annotations

from functools import cache

from services.intake.finder import lexicon
from services.intake.finder.index import Hit, MatterIndex
from services.shared.catalog import Catalog

__all__ = ["Hit", "MatterIndex", "index_for"]


@cache
def index_for(catalog: Catalog) -> MatterIndex:
    """One index per catalog, built on first use (segmenter, pinyin of every name)."""
    return MatterIndex(catalog, lexicon.load(catalog))
