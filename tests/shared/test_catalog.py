import pytest

from services.shared import catalog as catalog_module
from services.shared.catalog import CatalogError, load_catalog

CATALOG = load_catalog()


def test_catalog_size_and_coverage() -> None:
    assert len(CATALOG.matters()) >= 30
    assert len(CATALOG.provinces()) == 31
    assert len({h.province for h in CATALOG.halls()}) >= 8
    assert CATALOG.hall("hall-340104-01").province == "340000"  # type: ignore[union-attr]
    assert CATALOG.halls("310000")


def test_search_in_both_languages_and_by_code() -> None:
    assert {m.code for m in CATALOG.search_matters("公积金")} >= {"HF-WITHDRAW-RETIRE", "HF-TRANSFER"}
    assert "MI-REMOTE-REGISTER" in {m.code for m in CATALOG.search_matters("medical treatment")}
    assert [m.code for m in CATALOG.search_matters("tr-licence-renew")] == ["TR-LICENCE-RENEW"]
    assert len(CATALOG.search_matters("")) == len(CATALOG.matters())


def test_every_matter_is_complete() -> None:
    for matter in CATALOG.matters():
        assert matter.name_zh and matter.name_en and matter.department.name_zh
        assert matter.key_materials and matter.time_limit_working_days >= 1
        assert matter.delivery_methods


def test_remote_window_and_provinces() -> None:
    assert CATALOG.handles("HF-WITHDRAW-RETIRE", "310000")
    assert not CATALOG.handles("PS-ENTRY-EXIT", "310000")  # not through the remote window
    assert not CATALOG.handles("HF-WITHDRAW-RETIRE", "999999")


def test_division_codes() -> None:
    assert CATALOG.is_division_known("340104")
    assert CATALOG.is_division_known("341400")  # Chaohu, abolished 2011: old IDs stay valid
    assert not CATALOG.is_division_known("349900")
    assert not CATALOG.is_division_known("34010")


def raw_data() -> tuple[object, object, object, object]:
    read = catalog_module._read
    return (read("provinces.yaml"), read("divisions.yaml"), read("matters.yaml"), read("halls.yaml"))


def test_a_hall_in_an_unknown_province_stops_loading() -> None:
    provinces, divisions, matters, halls = raw_data()
    halls[0]["province"] = "990000"  # type: ignore[index]
    with pytest.raises(CatalogError, match="unknown province 990000"):
        catalog_module.parse(provinces, divisions, matters, halls)


def test_a_matter_without_key_material_stops_loading() -> None:
    provinces, divisions, matters, halls = raw_data()
    matters["matters"][0]["materials"] = ["bank_card"]  # type: ignore[index]
    with pytest.raises(CatalogError, match="no key material"):
        catalog_module.parse(provinces, divisions, matters, halls)
