"""好差评: five levels, a fixed tag vocabulary, and what counts as satisfied or bad."""

from __future__ import annotations

from services.shared.errors import FieldViolation, ValidationFailed

LEVELS = {5: ("非常满意", "very satisfied"), 4: ("满意", "satisfied"),
          3: ("基本满意", "fairly satisfied"), 2: ("不满意", "dissatisfied"),
          1: ("非常不满意", "very dissatisfied")}
TAGS = {
    "friendly": ("态度好", "friendly"), "fast": ("效率高", "fast"),
    "clear": ("讲解清楚", "clear explanation"), "no_travel": ("免跑腿", "saved a trip"),
    "long_wait": ("等待久", "long wait"), "video_stutter": ("画面卡顿", "video stutter"),
    "unclear": ("解释不清", "unclear explanation"), "rude": ("态度差", "unfriendly"),
    "repeated_materials": ("重复提交材料", "asked for materials twice"),
}
MAX_COMMENT = 500
BAD_LEVEL = 2  # 2 or below opens a rectification (every bad rating is followed up)
SATISFIED_LEVEL = 3  # 满意率 counts 非常满意, 满意 and 基本满意, as the national 好差评 does


def validate(level: int, tags: list[str], comment: str) -> None:
    problems: list[FieldViolation] = []
    if level not in LEVELS:
        problems.append(FieldViolation("level", "RANGE", "评价等级应为 1 到 5", "level must be 1 to 5"))
    unknown = [t for t in tags if t not in TAGS]
    if unknown:
        problems.append(FieldViolation("tags", "UNKNOWN", "未知的评价标签：" + "、".join(unknown),
                                       "unknown tags: " + ", ".join(unknown)))
    if len(comment) > MAX_COMMENT:
        problems.append(FieldViolation("comment", "LENGTH", f"评价内容不能超过 {MAX_COMMENT} 字",
                                       f"the comment may have at most {MAX_COMMENT} characters"))
    if problems:
        raise ValidationFailed(problems)


def needs_rectification(level: int) -> bool:
    return level <= BAD_LEVEL


def is_satisfied(level: int) -> bool:
    return level >= SATISFIED_LEVEL
