"""好差评 rules: what a rating may say, and what counts as satisfied or bad. The vocabulary
(levels and tags with their labels) is services/shared/rating.py.

Satisfaction (满意率) follows the national 好差评 convention: 非常满意, 满意 and 基本满意
(levels 5, 4, 3) are the satisfied ratings, 不满意 and 非常不满意 (2, 1) the bad ones
(差评). Every bad rating opens a rectification (整改) with a call-back, due in 15 working
days (deadlines.rectification_due).
"""

from __future__ import annotations

from collections.abc import Sequence

from services.shared.errors import FieldViolation, ValidationFailed
from services.shared.rating import LEVELS, TAGS, Level

BAD_LEVEL = Level.DISSATISFIED  # this or below is a 差评: a rectification follows
SATISFIED_LEVEL = Level.FAIRLY_SATISFIED  # this or above counts towards 满意率
MAX_COMMENT = 500  # characters (code points), as the national platform limits free text
MAX_TAGS = 5  # a rating is a few taps; more tags than that is a client bug or spam


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
