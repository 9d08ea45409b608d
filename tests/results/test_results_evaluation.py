import pytest

from services.results import evaluation
from services.shared.errors import ValidationFailed


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
