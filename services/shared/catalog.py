"""The matter catalog, provinces, prefecture divisions and halls, shipped as YAML under
catalog_data/ (static reference data every service may read; intake validates against it)
and checked when loaded: a bad data file stops the service with a clear message."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "catalog_data"
DELIVERY_METHODS = {"MAIL", "HALL_PRINT", "E_CERTIFICATE"}


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class Province:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Material:
    code: str
    name_zh: str
    name_en: str
    key: bool


@dataclass(frozen=True)
class Matter:
    code: str
    name_zh: str
    name_en: str
    department: Department
    materials: tuple[Material, ...]
    time_limit_working_days: int
    delivery_methods: tuple[str, ...]
    remote_window: bool
    provinces: tuple[str, ...] | None  # None: every province handles it

    @property
    def key_materials(self) -> tuple[Material, ...]:
        return tuple(m for m in self.materials if m.key)

    def material_names(self, code: str) -> tuple[str, str]:
        """(zh, en) of one of its materials; the code itself for one it does not list."""
        found = next((m for m in self.materials if m.code == code), None)
        return (found.name_zh, found.name_en) if found else (code, code)


@dataclass(frozen=True)
class Hall:
    id: str
    name_zh: str
    name_en: str
    province: str
    city_zh: str
    city_en: str


class Catalog:
    def __init__(
        self,
        provinces: list[Province],
        prefectures: dict[str, set[str]],
        matters: list[Matter],
        halls: list[Hall],
    ) -> None:
        self._provinces = {p.code: p for p in provinces}
        self._prefectures = prefectures
        self._matters = {m.code: m for m in matters}
        self._halls = {h.id: h for h in halls}

    def provinces(self) -> list[Province]:
        return list(self._provinces.values())

    def province(self, code: str) -> Province | None:
        return self._provinces.get(code)

    def matters(self) -> list[Matter]:
        return list(self._matters.values())

    def matter(self, code: str) -> Matter | None:
        return self._matters.get(code)

    def search_matters(self, text: str) -> list[Matter]:
        """Case-insensitive substring of the code or the name in either language."""
        needle = text.strip().lower()
        if not needle:
            return self.matters()
        return [
            m
            for m in self._matters.values()
            if needle in m.code.lower() or needle in m.name_zh or needle in m.name_en.lower()
        ]

    def halls(self, province: str | None = None) -> list[Hall]:
        return [h for h in self._halls.values() if province is None or h.province == province]

    def hall(self, hall_id: str) -> Hall | None:
        return self._halls.get(hall_id)

    def handles(self, matter_code: str, province_code: str) -> bool:
        """Whether a province takes this matter through the remote window."""
        matter = self._matters.get(matter_code)
        if matter is None or province_code not in self._provinces or not matter.remote_window:
            return False
        return matter.provinces is None or province_code in matter.provinces

    def matter_provinces(self, matter_code: str) -> list[str]:
        return [p for p in self._provinces if self.handles(matter_code, p)]

    def is_division_known(self, code6: str) -> bool:
        """The province exists and the prefecture prefix is (or was) a real one."""
        if len(code6) != 6 or not code6.isdigit():
            return False
        if code6[:2] + "0000" not in self._provinces:
            return False
        return code6[2:4] in self._prefectures.get(code6[:2], set())


def _read(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def _material(raw: Any, common: dict[str, Any], matter: str) -> Material:
    if isinstance(raw, str):
        if raw not in common:
            raise CatalogError(f"matter {matter}: unknown common material {raw}")
        spec = common[raw]
        return Material(raw, spec["zh"], spec["en"], bool(spec["key"]))
    return Material(raw["code"], raw["zh"], raw["en"], bool(raw["key"]))


def parse(provinces_raw: Any, divisions_raw: Any, matters_raw: Any, halls_raw: Any) -> Catalog:
    provinces = [Province(str(p["code"]), p["name_zh"], p["name_en"]) for p in provinces_raw]
    codes = {p.code for p in provinces}
    if len(codes) != len(provinces):
        raise CatalogError("duplicate province codes")
    prefectures = {str(k): {str(v) for v in values} for k, values in divisions_raw.items()}
    for prefix in prefectures:
        if prefix + "0000" not in codes:
            raise CatalogError(f"divisions: unknown province prefix {prefix}")
    departments = {code: Department(code, d["zh"], d["en"]) for code, d in matters_raw["departments"].items()}
    common = matters_raw["common_materials"]
    matters: list[Matter] = []
    for raw in matters_raw["matters"]:
        code = raw["code"]
        if raw["department"] not in departments:
            raise CatalogError(f"matter {code}: unknown department {raw['department']}")
        materials = tuple(_material(m, common, code) for m in raw["materials"])
        if not any(m.key for m in materials):
            raise CatalogError(f"matter {code}: no key material")
        if len({m.code for m in materials}) != len(materials):
            raise CatalogError(f"matter {code}: duplicate material codes")
        delivery = tuple(raw["delivery"])
        if not delivery or not set(delivery) <= DELIVERY_METHODS:
            raise CatalogError(f"matter {code}: delivery must be among {sorted(DELIVERY_METHODS)}")
        where = raw.get("provinces", "ALL")
        provinces_of = None if where == "ALL" else tuple(str(p) for p in where)
        if provinces_of and not set(provinces_of) <= codes:
            raise CatalogError(f"matter {code}: unknown province in {provinces_of}")
        if int(raw["days"]) < 1:
            raise CatalogError(f"matter {code}: the time limit must be at least one working day")
        matters.append(
            Matter(
                code,
                raw["name_zh"],
                raw["name_en"],
                departments[raw["department"]],
                materials,
                int(raw["days"]),
                delivery,
                bool(raw.get("remote_window", True)),
                provinces_of,
            )
        )
    if len({m.code for m in matters}) != len(matters):
        raise CatalogError("duplicate matter codes")
    halls = [
        Hall(h["id"], h["name_zh"], h["name_en"], str(h["province"]), h["city_zh"], h["city_en"])
        for h in halls_raw
    ]
    for hall in halls:
        if hall.province not in codes:
            raise CatalogError(f"hall {hall.id}: unknown province {hall.province}")
    if len({h.id for h in halls}) != len(halls):
        raise CatalogError("duplicate hall ids")
    return Catalog(provinces, prefectures, matters, halls)


@cache
def load_catalog() -> Catalog:
    return parse(_read("provinces.yaml"), _read("divisions.yaml"), _read("matters.yaml"), _read("halls.yaml"))
