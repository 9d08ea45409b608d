"""The 好差评 vocabulary: the five national levels and the tag keys, with their zh and en
labels. Shared because the kiosk shows it (the gateway serves it) and results checks
ratings against it (services/results/evaluation.py holds the rules).

Tags are stored by key (an ASCII word that never changes); the kiosk shows the labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    FAIRLY_SATISFIED = 3
    SATISFIED = 4
    VERY_SATISFIED = 5


# plain int keys: callers serialise this table (the gateway's kiosk config) as is
LEVELS: dict[int, tuple[str, str]] = {
    int(Level.VERY_SATISFIED): ("非常满意", "very satisfied"),
    int(Level.SATISFIED): ("满意", "satisfied"),
    int(Level.FAIRLY_SATISFIED): ("基本满意", "fairly satisfied"),
    int(Level.DISSATISFIED): ("不满意", "dissatisfied"),
    int(Level.VERY_DISSATISFIED): ("非常不满意", "very dissatisfied"),
}


@dataclass(frozen=True)
class Tag:
    key: str
    zh: str
    en: str
    positive: bool  # the kiosk offers praise with good levels and complaints with bad ones


TAG_LIST = (
    Tag("friendly", "态度好", "friendly", True),
    Tag("fast", "效率高", "fast", True),
    Tag("clear", "讲解清楚", "clear explanation", True),
    Tag("no_travel", "免跑腿", "saved a trip", True),
    Tag("professional", "业务熟练", "knew the matter well", True),
    Tag("long_wait", "等待久", "long wait", False),
    Tag("video_stutter", "画面卡顿", "video stutter", False),
    Tag("poor_audio", "声音不清", "poor sound", False),
    Tag("unclear", "解释不清", "unclear explanation", False),
    Tag("rude", "态度差", "unfriendly", False),
    Tag("repeated_materials", "重复提交材料", "asked for materials twice", False),
)
TAGS: dict[str, tuple[str, str]] = {t.key: (t.zh, t.en) for t in TAG_LIST}
TAG_BY_KEY: dict[str, Tag] = {t.key: t for t in TAG_LIST}


def label(level: int, language: str = "zh") -> str:
    """The level's name in zh or en; "" for a level outside 1..5."""
    zh, en = LEVELS.get(level, ("", ""))
    return en if language == "en" else zh
