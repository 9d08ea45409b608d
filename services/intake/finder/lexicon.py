"""The finder's words (lexicon.yaml): synonyms, filler, quick picks and each matter's common
names in zh and en, checked against the catalog when loaded so that a typo in the data stops
the service instead of silently losing a matter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.intake.finder import text
from services.shared.catalog import Catalog

LEXICON = Path(__file__).with_name("lexicon.yaml")


class LexiconError(ValueError):
    pass


@dataclass(frozen=True)
class CommonNames:
    zh: tuple[str, ...]
    en: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    synonyms: dict[str, frozenset[str]]  # a word → every word of its groups (itself included)
    stopwords: frozenset[str]
    quick_picks: tuple[str, ...]
    names: dict[str, CommonNames]  # matter code → its common names

    def alternatives(self, word: str) -> frozenset[str]:
        return self.synonyms.get(word, frozenset((word,)))


def _strings(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) and s.strip() for s in raw):
        raise LexiconError(f"{where}: expected a non-empty list of words")
    return [text.fold(s).strip() for s in raw]


def parse(raw: Any, catalog: Catalog) -> Lexicon:
    synonyms: dict[str, set[str]] = {}
    for language in ("zh", "en"):
        for i, group in enumerate(raw["synonyms"][language]):
            words = set(_strings(group, f"synonyms.{language}[{i}]"))
            for word in words:
                synonyms.setdefault(word, set()).update(words)
    stopwords = frozenset(
        _strings(raw["stopwords"]["zh"], "stopwords.zh") + _strings(raw["stopwords"]["en"], "stopwords.en")
    )
    quick_picks = tuple(raw["quick_picks"])
    names: dict[str, CommonNames] = {}
    for code, entry in raw["matters"].items():
        if catalog.matter(code) is None:
            raise LexiconError(f"matters: {code} is not in the catalog")
        names[code] = CommonNames(
            tuple(_strings(entry["zh"], f"{code}.zh")), tuple(_strings(entry["en"], f"{code}.en"))
        )
    unknown = [code for code in quick_picks if catalog.matter(code) is None]
    if unknown or not quick_picks:
        raise LexiconError(f"quick_picks: empty or not in the catalog: {unknown}")
    return Lexicon(
        {word: frozenset(group) for word, group in synonyms.items()}, stopwords, quick_picks, names
    )


def load(catalog: Catalog, path: Path = LEXICON) -> Lexicon:
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")), catalog)
