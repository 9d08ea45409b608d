"""The matter finder's pure parts: text, lexicon, index and SearchMatters' rules."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from services.intake.finder import index_for, lexicon, serve, text
from services.shared.catalog import load_catalog
from services.shared.errors import ServiceError
from tongban.intake.v1 import intake_pb2

CATALOG = load_catalog()
INDEX = index_for(CATALOG)
HEFEI = "hall-340104-01"
OFFERED = serve.offered(CATALOG, HEFEI)


def top(query: str, **kwargs: Any) -> list[str]:
    return [hit.matter.code for hit in INDEX.search(query, allowed=OFFERED, **kwargs)]


# ---------------------------------------------------------------------- text


def test_full_width_input_from_an_ime_is_folded_and_split_by_script() -> None:
    assert text.runs("退休ＧＪＪ提取，ok!") == ["退休", "gjj", "提取", "ok"]


def test_pinyin_reads_polyphones_by_phrase_and_gives_initials() -> None:
    assert text.syllables("重庆") == ["chong", "qing"]
    assert text.syllables("绿卡") == ["lv", "ka"]  # ü typed as v
    assert text.initials("住房公积金") == "zfgjj"


def test_pinyin_matches_start_on_a_syllable_and_may_be_unfinished() -> None:
    spoken = text.Pinyin.of("住房公积金")
    assert spoken.syllables_matched("gongjijin") == 3
    assert spoken.syllables_matched("gongj") == 2  # still typing
    assert spoken.syllables_matched("gongj", whole=True) == 0
    assert spoken.syllables_matched("ongji") == 0  # not on a syllable


@pytest.mark.parametrize("token", ["zhufanggongjijin", "shebaoka", "yidi", "zhufangzh", "xian"])
def test_pinyin_without_spaces_is_recognised(token: str) -> None:
    assert text.is_pinyin(token)


@pytest.mark.parametrize("token", ["proof", "medical", "pension", "bank", "card", "gjj"])
def test_english_words_and_initials_are_not_read_as_pinyin(token: str) -> None:
    assert not text.is_pinyin(token)


def test_english_stems_meet_across_suffixes() -> None:
    assert text.stem("withdrawal") == text.stem("withdraw") == "withdraw"
    assert text.stem("cards") == "card"
    assert text.stem("retirement") == "retire"
    assert text.stem("bus") == "bus"  # too short to cut


def test_the_segmenter_keeps_the_domains_words_whole() -> None:
    segmenter = text.Segmenter({"社保卡", "退休提取"})
    assert segmenter.words("社保卡丢了") == ["社保卡", "丢", "了"]
    assert "退休提取" in segmenter.words("我要退休提取")


# ---------------------------------------------------------------------- lexicon


def raw_lexicon() -> Any:
    return yaml.safe_load(lexicon.LEXICON.read_text(encoding="utf-8"))


def test_the_shipped_lexicon_names_every_remote_window_matter() -> None:
    loaded = lexicon.load(CATALOG)
    remote = {m.code for m in CATALOG.matters() if m.remote_window}
    assert remote <= set(loaded.names)
    assert all(loaded.names[c].zh and loaded.names[c].en for c in remote)


def test_synonyms_work_both_ways() -> None:
    loaded = lexicon.load(CATALOG)
    assert "住房公积金" in loaded.alternatives("公积金")
    assert "公积金" in loaded.alternatives("住房公积金")
    assert loaded.alternatives("未列出的词") == {"未列出的词"}


def test_a_matter_code_the_catalog_lacks_stops_the_load() -> None:
    raw = raw_lexicon()
    raw["matters"]["HF-NO-SUCH"] = {"zh": ["无"], "en": ["none"]}
    with pytest.raises(lexicon.LexiconError, match="HF-NO-SUCH"):
        lexicon.parse(raw, CATALOG)


@pytest.mark.parametrize(
    ("path", "value"), [(("quick_picks",), ["XX-UNKNOWN"]), (("matters", "SI-CARD", "zh"), [])]
)
def test_bad_lexicon_data_stops_the_load(path: tuple[str, ...], value: Any) -> None:
    raw = raw_lexicon()
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(lexicon.LexiconError):
        lexicon.parse(raw, CATALOG)


# ---------------------------------------------------------------------- index


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("提前退休提取住房公积金", "HF-WITHDRAW-RETIRE"),  # the official name
        ("社保卡", "SI-CARD"),  # a common name
        ("我想把社保转回老家", "SI-PENSION-TRANSFER"),  # a spoken sentence with filler
        ("公鸡金退休提取", "HF-WITHDRAW-RETIRE"),  # a homophone typo
        ("zhufanggongjijinzhuanyi", "HF-TRANSFER"),  # pinyin without spaces
        ("gong ji jin zhuan yi", "HF-TRANSFER"),  # spaced pinyin
        ("sbk", "SI-CARD"),  # initials
        ("ＳＢＫ", "SI-CARD"),  # full-width initials
        ("pensoin tranfer", "SI-PENSION-TRANSFER"),  # English typos
        ("lost id card", "PS-ID-RENEW"),
        ("退休gjj", "HF-WITHDRAW-RETIRE"),  # mixed scripts
        ("hf-transfer", "HF-TRANSFER"),  # the code itself
    ],
)
def test_the_expected_matter_comes_first(query: str, expected: str) -> None:
    assert top(query)[0] == expected


@pytest.mark.parametrize("query", ["xyzzy", "天气预报", "我想办一下", "   ", "12345"])
def test_nonsense_or_filler_finds_nothing(query: str) -> None:
    assert top(query) == []


def test_a_matter_the_kiosk_may_not_offer_is_never_found() -> None:
    assert INDEX.search("港澳通行证签注")[0].matter.code == "PS-ENTRY-EXIT"  # no remote window
    assert "PS-ENTRY-EXIT" not in top("港澳通行证签注", limit=50)


def test_the_halls_frequent_matter_comes_first_among_equally_good_ones() -> None:
    plain = top("公积金")
    assert set(plain[:5]) == {
        "HF-WITHDRAW-RETIRE",
        "HF-WITHDRAW-PURCHASE",
        "HF-WITHDRAW-LEAVE",
        "HF-TRANSFER",
        "HF-LOAN-CERT",
    }
    for favourite in ("HF-TRANSFER", "HF-WITHDRAW-LEAVE"):
        assert top("公积金", counts={favourite: 40, "HF-LOAN-CERT": 3})[0] == favourite


def test_frequency_never_outranks_a_clearly_better_match() -> None:
    counts = {"HF-LOAN-CERT": 10_000, "SI-CARD": 1}
    assert top("退休提取公积金", counts=counts)[0] == "HF-WITHDRAW-RETIRE"
    assert top("社保卡", counts=counts)[0] == "SI-CARD"


def test_the_limit_is_kept_and_scores_descend() -> None:
    hits = INDEX.search("证明", allowed=OFFERED, limit=4)
    assert len(hits) == 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_quick_picks_are_the_halls_most_frequent_then_the_national_list() -> None:
    picks = [m.code for m in INDEX.quick_picks({"CA-MARRIAGE-RECORD": 9, "TX-TAX-PROOF": 12}, OFFERED, 4)]
    assert picks == ["TX-TAX-PROOF", "CA-MARRIAGE-RECORD", *INDEX.lexicon.quick_picks[:2]]
    assert [m.code for m in INDEX.quick_picks(None, OFFERED, 3)] == list(INDEX.lexicon.quick_picks[:3])


# ---------------------------------------------------------------------- SearchMatters' rules


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ServiceError) as failed:
        serve.search(CATALOG, "hall-nowhere", "公" * 101, {"SI-CARD": -1}, 51)
    assert {v.field for v in failed.value.violations} == {"hall_id", "query", "limit", "matter_counts"}
    assert all(v.message_zh and v.message_en for v in failed.value.violations)


def test_an_empty_query_gives_the_quick_picks_and_no_match_gives_them_too() -> None:
    empty = serve.search(CATALOG, HEFEI, " ", {}, 0)
    assert empty.outcome == intake_pb2.SEARCH_OUTCOME_QUICK_PICKS
    assert len(empty.hits) == serve.DEFAULT_LIMIT and all(h.score == 0 for h in empty.hits)
    nothing = serve.search(CATALOG, HEFEI, "xyzzy", {}, 3)
    assert nothing.outcome == intake_pb2.SEARCH_OUTCOME_NO_MATCH
    assert [h.matter.code for h in nothing.hits] == list(INDEX.lexicon.quick_picks[:3])
    found = serve.search(CATALOG, HEFEI, "社保卡", {}, 3)
    assert found.outcome == intake_pb2.SEARCH_OUTCOME_MATCHED and found.hits[0].matter.code == "SI-CARD"
