"""好差评: the five national levels, a fixed tag vocabulary, and what counts as satisfied or bad.

Satisfaction (满意率) follows the national 好差评 convention: 非常满意, 满意 and 基本满意
(levels 5, 4, 3) are the satisfied ratings, 不满意 and 非常不满意 (2, 1) the bad ones
(差评). Every bad rating opens a rectification (整改) with a call-back, due in 15 working
days (deadlines.rectification_due).

Tags are stored by key (an ASCII word that never changes); the kiosk shows the zh/en labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from services.shared.errors import FieldViolation, ValidationFailed


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
BAD_LEVEL = Level.DISSATISFIED  # this or below is a 差评: a rectification follows
SATISFIED_LEVEL = Level.FAIRLY_SATISFIED  # this or above counts towards 满意率
MAX_COMMENT = 500  # characters (code points), as the national platform limits free text
MAX_TAGS = 5  # a rating is a few taps; more tags than that is a client bug or spam


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


def validate(level: int, tags: Sequence[str], comment: str) -> None:
    """Raises ValidationFailed listing every problem at once (the kiosk shows them all)."""
    problems: list[FieldViolation] = []
    if isinstance(level, bool) or level not in LEVELS:
        problems.append(FieldViolation("level", "RANGE", "评价等级应为 1 到 5", "level must be 1 to 5"))
    unknown = [t for t in tags if t not in TAGS]
    if unknown:
        problems.append(
            FieldViolation(
                "tags",
                "UNKNOWN",
                "未知的评价标签：" + "、".join(unknown),
                "unknown tags: " + ", ".join(unknown),
            )
        )
    elif len(set(tags)) != len(tags):
        problems.append(FieldViolation("tags", "DUPLICATE", "评价标签重复", "a tag is repeated"))
    elif len(tags) > MAX_TAGS:
        problems.append(
            FieldViolation("tags", "TOO_MANY", f"最多选择 {MAX_TAGS} 个标签", f"at most {MAX_TAGS} tags")
        )
    if len(comment) > MAX_COMMENT:
        problems.append(
            FieldViolation(
                "comment",
                "LENGTH",
                f"评价内容不能超过 {MAX_COMMENT} 字",
                f"the comment may have at most {MAX_COMMENT} characters",
            )
        )
    if problems:
        raise ValidationFailed(problems)


def needs_rectification(level: int) -> bool:
    """A 差评 (不满意 or 非常不满意): rectified and called back within 15 working days."""
    return level <= BAD_LEVEL


def is_satisfied(level: int) -> bool:
    """Counts towards 满意率: 非常满意, 满意 or 基本满意."""
    return level >= SATISFIED_LEVEL
