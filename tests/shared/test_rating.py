"""The 好差评 vocabulary the kiosk shows and results checks ratings against."""

import ast
from pathlib import Path

from services.shared import rating


def test_five_levels_with_zh_and_en_labels() -> None:
    assert [rating.label(level) for level in (5, 4, 3, 2, 1)] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]
    assert rating.label(1, "en") == "very dissatisfied"
    assert rating.label(0) == ""


def test_tag_vocabulary_has_both_languages() -> None:
    assert rating.TAGS["friendly"] == ("态度好", "friendly")
    assert rating.TAGS["video_stutter"] == ("画面卡顿", "video stutter")
    assert all(t.zh and t.en and t.key.isascii() for t in rating.TAG_LIST)
    assert {t.positive for t in rating.TAG_LIST} == {True, False}


def test_the_gateway_takes_the_vocabulary_from_shared_not_from_a_service() -> None:
    """The gateway talks to the services over gRPC only; what it shares with them is in
    services/shared (issue 13: it imported services.results.evaluation)."""
    gateway = Path(__file__).resolve().parents[2] / "gateway"
    imported: set[str] = set()
    for path in gateway.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert "services.shared.rating" in imported
    services = {m for m in imported if m.startswith("services.") and not m.startswith("services.shared")}
    assert services == set()
