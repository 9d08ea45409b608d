"""Text as the finder compares it: folded, split by script, Chinese words and their pinyin,
English words reduced to a stem. Pure functions; the only state is the word segmenter,
which the caller owns (it learns the catalog's and the lexicon's words)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import rjieba
from pypinyin import Style, lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

# Han ideographs (with extension A and the compatibility block) or runs of ASCII letters and
# digits; anything else (punctuation, spaces, emoji, the IME's full stops) separates words.
RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Longest first: "ations" must not be cut as "s"; a stem keeps at least four letters.
EN_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "als", "al", "ies", "ed", "es", "s")


def fold(text: str) -> str:
    """NFKC (full-width letters and digits from a Chinese IME become ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def runs(text: str) -> list[str]:
    """The folded text's Han and ASCII runs, in order: "退休gjj提取" → 退休, gjj, 提取."""
    return RUN.findall(fold(text))


def is_han(run: str) -> bool:
    return HAN.match(run) is not None


def syllables(han: str) -> list[str]:
    """Toneless pinyin, one syllable per character; pypinyin reads polyphones by phrase
    (重庆 → chong qing) from the dictionaries inside its package. ü is written v, as
    pinyin keyboards and people without one do."""
    return [s.replace("ü", "v") for s in lazy_pinyin(han, style=Style.NORMAL, v_to_u=False)]


def initials(han: str) -> str:
    """The first letter of each syllable: 公积金 → gjj."""
    return "".join(s[0] for s in syllables(han) if s)


# Interjections (嗯 n, 呣 m, 哦 o, 欸 ê …) are syllables too, but with them almost any English
# word would read as pinyin (pension = pen·si·o·n).
RARE_SYLLABLES = frozenset({"a", "e", "o", "m", "n", "ng", "hm", "hng", "ê"})


@cache
def pinyin_syllables() -> frozenset[str]:
    """Every toneless syllable of pypinyin's character dictionary (about 410), ü as v."""
    found: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
            found.add("".join(c for c in decomposed if not unicodedata.combining(c)))
    return frozenset(found - RARE_SYLLABLES)


@cache
def syllable_prefixes() -> frozenset[str]:
    return frozenset(s[:i] for s in pinyin_syllables() for i in range(2, len(s) + 1))


def is_pinyin(token: str) -> bool:
    """Whether an ASCII token reads as pinyin syllables without spaces (zhufanggongjijin),
    the last perhaps unfinished after its second letter; an English word mostly does not
    (proof, medical, bank)."""
    syllables_ = pinyin_syllables()
    reachable = [True] + [False] * len(token)  # reachable[i]: token[:i] splits into syllables
    for end in range(1, len(token) + 1):
        reachable[end] = any(
            reachable[start] and token[start:end] in syllables_ for start in range(max(0, end - 6), end)
        )
    unfinished = any(reachable[start] and token[start:] in syllable_prefixes() for start in range(len(token)))
    return bool(token) and (reachable[-1] or unfinished)


def stem(word: str) -> str:
    """A light English stem so that withdraw/withdrawal and card/cards meet; what it misses
    (register/registration) the finder's prefix and edit-distance rules catch."""
    for suffix in EN_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class Pinyin:
    """A Chinese text read aloud: its syllables joined, where each syllable starts in the
    joined string, and the initials."""

    joined: str
    starts: tuple[int, ...]
    initials: str

    @classmethod
    def of(cls, han: str) -> Pinyin:
        parts = syllables(han)
        starts, offset = [], 0
        for part in parts:
            starts.append(offset)
            offset += len(part)
        return cls("".join(parts), tuple(starts), "".join(p[0] for p in parts if p))

    def syllables_matched(self, spoken: str, whole: bool = False) -> int:
        """How many syllables `spoken` (pinyin without spaces) covers where it appears in
        this text starting on a syllable; 0 when it does not. Unless `whole`, the last one
        may be cut short: the applicant is still typing."""
        best = 0
        start = self.joined.find(spoken)
        while start != -1:
            end = start + len(spoken)
            if start in self.starts and (not whole or end == len(self.joined) or end in self.starts):
                best = max(best, sum(1 for s in self.starts if start <= s < end))
            start = self.joined.find(spoken, start + 1)
        return best


class Segmenter:
    """jieba's dictionary and algorithm (rjieba, the Rust port, with the dictionary compiled
    into the package) plus the domain's own words, so that 社保卡 or 退休提取 stay whole."""

    def __init__(self, words: set[str]) -> None:
        self._jieba = rjieba.Jieba()
        for word in sorted(words):
            if len(word) > 1 and not self._jieba.has_word(word):
                self._jieba.add_word(word, None, None)

    def words(self, han: str) -> list[str]:
        # HMM off: with it, jieba glues unknown characters together (a typo such as 公鸡金
        # would become one unknown word); each character alone matches better.
        return [w for w in self._jieba.cut(han, hmm=False) if w.strip()]
