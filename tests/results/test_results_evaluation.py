import pytest

from services.results import evaluation
from services.shared.errors import ValidationFailed


def test_five_levels_with_zh_and_en_labels() -> None:
    assert [evaluation.label(level) for level in (5, 4, 3, 2, 1)] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]
    assert evaluation.label(1, "en") == "very dissatisfied"
    assert evaluation.label(0) == ""


def test_tag_vocabulary_has_both_languages() -> None:
    assert evaluation.TAGS["friendly"] == ("态度好", "friendly")
    assert evaluation.TAGS["video_stutter"] == ("画面卡顿", "video stutter")
    assert all(t.zh and t.en and t.key.isascii() for t in evaluation.TAG_LIST)
    assert {t.positive for t in evaluation.TAG_LIST} == {True, False}


def test_a_valid_rating_passes() -> None:
    evaluation.validate(5, ["friendly", "fast"], "很好")
    evaluation.validate(1, [], "")
    evaluation.validate(3, ["long_wait"], "字" * 500)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as failed:
        evaluation.validate(6, ["great"], "x" * 501)
    assert {v.field for v in failed.value.violations} == {"level", "tags", "comment"}
    assert all(v.message_zh and v.message_en for v in failed.value.violations)


@pytest.mark.parametrize(
    ("level", "tags", "code"),
    [
        (0, [], "RANGE"),
        (True, [], "RANGE"),
        (4, ["态度好"], "UNKNOWN"),  # labels are for display; keys are stored
        (4, ["fast", "fast"], "DUPLICATE"),
        (4, ["friendly", "fast", "clear", "no_travel", "professional", "long_wait"], "TOO_MANY"),
    ],
)
def test_invalid_levels_and_tags(level: int, tags: list[str], code: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        evaluation.validate(level, tags, "")
    assert [v.code for v in failed.value.violations] == [code]


def test_bad_ratings_need_rectification_and_satisfaction_counts_three_and_up() -> None:
    assert [evaluation.needs_rectification(level) for level in (1, 2, 3, 4, 5)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert [evaluation.is_satisfied(level) for level in (1, 2, 3, 4, 5)] == [False, False, True, True, True]
