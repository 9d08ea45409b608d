"""The matter finder: an index built once from the catalog and the lexicon, and a search
that reads a query the way people type and speak at the kiosk.

A query is cut into units: Chinese words (jieba, with the domain's words added) and ASCII
tokens. Each unit gets a strength in [0, 1] against each matter:

- a Chinese word (or any word of its synonym group) inside one of the matter's names: 1;
  the same syllables (a homophone typed by mistake, 公鸡金 for 公积金): 0.85; failing both,
  its characters one by one;
- an ASCII token as English (stem equal, a prefix while typing, or within a small edit
  distance for typos), as pinyin (zhufanggongjijin, or close to it) or as pinyin initials
  (gjj): the best of the three readings. Spaced pinyin (gong ji jin) is also read joined.

A matter's score is the units' strengths weighted by how rare each unit is among matters
(so 公积金, shared by five matters, counts less than 退休, shared by two), plus a little
for how much of one of its names the query covers, plus a little for how often the hall
handles it: relevance decides, the hall's figures order what is about equally relevant.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from services.intake.finder import text
from services.intake.finder.lexicon import Lexicon
from services.shared.catalog import Catalog, Matter

HOMOPHONE = 0.85  # same syllables, other characters
SYNONYM = 0.9  # a word of the query's synonym group rather than the word itself
MATCHED = 0.6  # a unit at least this strong counts as matching the matter (for rarity)
UNMATCHED_WEIGHT = 0.5  # a unit no matter knows (a typo beyond repair, filler we lack)
COVERAGE_BONUS = 0.15  # for covering one of the matter's names
FREQUENCY_BONUS = 0.06  # for the hall's most frequent matter; less for the others
MIN_SCORE = 0.3  # below this a matter is not shown
RELATIVE_CUTOFF = 0.5  # nor below half the best one's score: a long tail only distracts
MEMO_WORDS = 20_000  # Chinese words whose strengths are kept (a few MB at most)


@dataclass(frozen=True)
class ZhName:
    han: str  # the name's Han characters only
    pinyin: text.Pinyin
    chars: frozenset[str]


@dataclass(frozen=True)
class Entry:
    matter: Matter
    zh: tuple[ZhName, ...]
    en: tuple[frozenset[str], ...]  # each English name as stems
    stems: frozenset[str]  # every English stem of the matter
    han: str  # every Chinese name, "|" between: one substring test for all of them
    spoken: str  # every Chinese name as "|syllable|syllable|", "#" between names

    @classmethod
    def of(cls, matter: Matter, zh: tuple[ZhName, ...], en: tuple[frozenset[str], ...]) -> Entry:
        spoken = "#".join("|" + "|".join(text.syllables(z.han)) + "|" for z in zh)
        return cls(matter, zh, en, frozenset().union(*en), "|".join(z.han for z in zh), spoken)


@dataclass(frozen=True)
class Hit:
    matter: Matter
    score: float


@dataclass(frozen=True)
class Unit:
    """A piece of the query and its strength against each matter that it matches at all."""

    text: str
    strengths: dict[str, float]
    stems: frozenset[str] = frozenset()  # English stems it stands for (for coverage)


def _zh_name(name: str) -> ZhName | None:
    han = "".join(r for r in text.runs(name) if text.is_han(r))
    return ZhName(han, text.Pinyin.of(han), frozenset(han)) if han else None


def _en_stems(name: str, stopwords: Collection[str]) -> frozenset[str]:
    return frozenset(text.stem(w) for w in text.runs(name) if not text.is_han(w) and w not in stopwords)


class MatterIndex:
    def __init__(self, catalog: Catalog, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.entries: dict[str, Entry] = {}
        for matter in catalog.matters():
            common = lexicon.names.get(matter.code)
            zh_names = [matter.name_zh, *(common.zh if common else ())]
            en_names = [matter.name_en, matter.code.replace("-", " "), *(common.en if common else ())]
            zh = tuple(z for z in (_zh_name(n) for n in zh_names) if z is not None)
            en = tuple(_en_stems(n, lexicon.stopwords) for n in en_names)
            self.entries[matter.code] = Entry.of(matter, zh, en)
        self.stem_set = frozenset().union(*(e.stems for e in self.entries.values()))
        self.stem_vocabulary = sorted(self.stem_set)
        words = {z.han for e in self.entries.values() for z in e.zh}
        words |= {w for w in lexicon.synonyms if text.is_han(w)}
        words |= {w for w in lexicon.stopwords if text.is_han(w)}
        self.segmenter = text.Segmenter(words)
        text.syllable_prefixes()  # the pinyin tables, built now rather than on a first query
        # Words recur from query to query (公积金, 提取, 退休): each one's strengths are
        # worked out once. Bounded by the words jieba can cut plus single characters.
        self._han_memo: dict[str, dict[str, float]] = {}

    # ------------------------------------------------------------------ units

    def _han_strengths(self, word: str) -> dict[str, float]:
        known = self._han_memo.get(word)
        if known is not None:
            return known
        alternatives = [
            (
                alternative,
                1.0 if alternative == word else SYNONYM,
                "|" + "|".join(text.syllables(alternative)) + "|",
            )
            for alternative in self.lexicon.alternatives(word)
        ]
        strengths: dict[str, float] = {}
        for code, entry in self.entries.items():
            best = 0.0
            for alternative, factor, spoken in alternatives:
                if alternative in entry.han:
                    best = max(best, factor)
                elif len(alternative) > 1 and spoken in entry.spoken:
                    best = max(best, factor * HOMOPHONE)
            if best > 0:
                strengths[code] = best
        if len(word) > 1:
            # a compound nobody listed (养老卡) still earns what its characters earn
            per_char = [self._han_strengths(char) for char in word]
            for code in self.entries:
                by_chars = 0.7 * sum(c.get(code, 0.0) for c in per_char) / len(per_char)
                if by_chars > strengths.get(code, 0.0):
                    strengths[code] = by_chars
        if len(self._han_memo) < MEMO_WORDS:
            self._han_memo[word] = strengths
        return strengths

    def _han_unit(self, word: str) -> Unit:
        return Unit(word, self._han_strengths(word))

    def _stem_strengths(self, token: str) -> dict[str, float]:
        """How well an English token matches each stem of the vocabulary."""
        found: dict[str, float] = {}

        def offer(candidate: str, strength: float) -> None:
            found[candidate] = max(found.get(candidate, 0.0), strength)

        own = text.stem(token)
        for alternative in self.lexicon.alternatives(token) | self.lexicon.alternatives(own):
            factor = 1.0 if alternative in (token, own) else SYNONYM
            stem = text.stem(alternative)
            if stem in self.stem_set:
                offer(stem, factor)
            for candidate in self.stem_vocabulary:
                if len(alternative) >= 3 and candidate.startswith(alternative) and candidate != stem:
                    offer(candidate, 0.85 * factor)  # still typing: "pensi"
                elif len(stem) >= 5 and candidate[:5] == stem[:5] and candidate != stem:
                    offer(candidate, 0.9 * factor)  # register / registration
            if len(stem) >= 4:  # a typo: pensoin, tranfer
                for candidate, similarity, _ in process.extract(
                    stem,
                    self.stem_vocabulary,
                    scorer=OSA.normalized_similarity,
                    score_cutoff=0.75,
                    limit=None,
                ):
                    offer(candidate, 0.9 * similarity * factor)
        return found

    def _pinyin_strength(self, token: str, entry: Entry, fuzzy: bool) -> float:
        best = 0.0
        for name in entry.zh:
            spoken = name.pinyin
            if len(token) >= 2 and token in spoken.initials:
                best = max(best, 1.0 if token == spoken.initials else 0.85 if len(token) >= 3 else 0.6)
            covered = spoken.syllables_matched(token)
            if covered >= 2 or (covered == 1 and len(token) >= 2):
                best = max(best, 1.0 if covered >= 2 else 0.5)
            elif fuzzy and len(token) <= len(spoken.joined):
                ratio = fuzz.partial_ratio(token, spoken.joined)
                if ratio >= 85:
                    best = max(best, 0.8 * ratio / 100)  # a pinyin typo: gongjijn
        return best

    def _ascii_unit(self, token: str) -> Unit:
        stems = {} if token in self.lexicon.stopwords else self._stem_strengths(token)
        # a pinyin typo is looked for only in what is long enough and reads as no English word
        fuzzy = len(token) >= 6 and not any(v >= MATCHED for v in stems.values())
        strengths: dict[str, float] = {}
        for code, entry in self.entries.items():
            english = max((stems[s] for s in entry.stems if s in stems), default=0.0)
            strength = max(english, self._pinyin_strength(token, entry, fuzzy))
            if strength > 0:
                strengths[code] = strength
        return Unit(token, strengths, frozenset(s for s, v in stems.items() if v >= MATCHED))

    def units(self, query: str) -> tuple[list[Unit], list[Unit]]:
        """The query's units read token by token, and (when it has several ASCII tokens)
        read with its ASCII joined, as spaced pinyin (gong ji jin) would be."""
        han: list[Unit] = []
        tokens: list[str] = []
        for run in text.runs(query):
            if text.is_han(run):
                words = [w for w in self.segmenter.words(run) if w not in self.lexicon.stopwords]
                han.extend(self._han_unit(w) for w in words)
            elif not run.isdigit() and run not in self.lexicon.stopwords:
                tokens.append(run)
        by_token = han + [self._ascii_unit(t) for t in tokens]
        spaced_pinyin = len(tokens) > 1 and all(text.is_pinyin(t) for t in tokens)
        joined = han + [self._ascii_unit("".join(tokens))] if spaced_pinyin else []
        return by_token, joined

    # ------------------------------------------------------------------ ranking

    def _scores(self, units: list[Unit], query_chars: frozenset[str]) -> dict[str, float]:
        if not units:
            return {}
        n = len(self.entries)
        weights = []
        for unit in units:
            df = sum(1 for s in unit.strengths.values() if s >= MATCHED)
            weights.append(math.log(1 + n / (1 + df)) if df else UNMATCHED_WEIGHT)
        total = sum(weights)
        stems = frozenset().union(*(u.stems for u in units))
        scores: dict[str, float] = {}
        for code, entry in self.entries.items():
            relevance = (
                sum(w * u.strengths.get(code, 0.0) for w, u in zip(weights, units, strict=True)) / total
            )
            if relevance <= 0:
                continue
            coverage = max(
                [len(z.chars & query_chars) / len(z.chars) for z in entry.zh if query_chars]
                + [len(e & stems) / len(e) for e in entry.en if e and stems]
                + [0.0]
            )
            scores[code] = relevance + COVERAGE_BONUS * coverage
        return scores

    def _query_chars(self, units: list[Unit]) -> frozenset[str]:
        chars: set[str] = set()
        for unit in units:
            if text.is_han(unit.text):
                for alternative in self.lexicon.alternatives(unit.text):
                    chars.update(alternative)
        return frozenset(chars)

    def search(
        self,
        query: str,
        counts: Mapping[str, int] | None = None,
        allowed: Collection[str] | None = None,
        limit: int = 8,
    ) -> list[Hit]:
        """The matters that fit `query`, best first, at most `limit`; [] when none fits.
        `counts`: how many cases the hall had of each matter; `allowed`: the matters the
        kiosk may offer (None: all)."""
        folded = text.fold(query).strip()
        codes = [c for c in self.entries if allowed is None or c in allowed]
        exact = next((c for c in codes if c.lower() == folded), None)
        if exact is not None:
            return [Hit(self.entries[exact].matter, 2.0)]
        by_token, joined = self.units(query)
        scores = self._scores(by_token, self._query_chars(by_token))
        for code, score in self._scores(joined, self._query_chars(joined)).items():
            scores[code] = max(score, scores.get(code, 0.0))
        bonus = frequency_bonus(counts or {})
        ranked = sorted(
            ((scores[c] + bonus.get(c, 0.0), c) for c in codes if scores.get(c, 0.0) >= MIN_SCORE),
            key=lambda pair: (-pair[0], pair[1]),
        )
        ranked = [(score, c) for score, c in ranked if score >= RELATIVE_CUTOFF * ranked[0][0]]
        return [Hit(self.entries[c].matter, round(s, 4)) for s, c in ranked[:limit]]

    def quick_picks(
        self, counts: Mapping[str, int] | None = None, allowed: Collection[str] | None = None, limit: int = 8
    ) -> list[Matter]:
        """What an empty search shows: the hall's most frequent matters, then the national
        high-frequency list, then the catalog's order."""
        counts = counts or {}
        order = {code: i for i, code in enumerate(self.lexicon.quick_picks)}
        codes = [c for c in self.entries if allowed is None or c in allowed]
        position = {code: i for i, code in enumerate(self.entries)}
        codes.sort(key=lambda c: (-counts.get(c, 0), order.get(c, len(order)), position[c]))
        return [self.entries[c].matter for c in codes[:limit]]


def frequency_bonus(counts: Mapping[str, int]) -> dict[str, float]:
    """Up to FREQUENCY_BONUS for the hall's most frequent matter, on a log scale so that a
    matter with half the cases is not pushed far below it."""
    top = max((c for c in counts.values() if c > 0), default=0)
    if top == 0:
        return {}
    return {code: FREQUENCY_BONUS * math.log1p(c) / math.log1p(top) for code, c in counts.items() if c > 0}
