"""Dated parameters with region overrides: nation → province → prefecture → county.

For a county and a date, the value of the most specific region that covers the county wins, and
among those the latest one in force on that date (OpenFisca-style dated parameters).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pyarrow as pa

from fupin.engine.packs import Pack, Parameter, ParameterValue

ARROW_TYPES = {"number": pa.float64(), "integer": pa.int64(), "boolean": pa.bool_()}


class MissingParameter(LookupError):
    def __init__(self, parameter: str, county_code: str, on: dt.date) -> None:
        self.parameter, self.county_code, self.on = parameter, county_code, on
        super().__init__(f"parameter {parameter} has no value for county {county_code} on {on}")


def value_in_force(parameter: Parameter, county_code: str, on: dt.date) -> ParameterValue:
    candidates = [
        v
        for v in parameter.values
        if county_code.startswith(v.region)
        and v.effective_from <= on
        and (v.effective_to is None or on <= v.effective_to)
    ]
    if not candidates:
        raise MissingParameter(parameter.name, county_code, on)
    return max(candidates, key=lambda v: (len(v.region), v.effective_from))


def parameter_table(pack: Pack, county_codes: Iterable[str], on: dt.date) -> pa.Table:
    """One row per county with one column per parameter: joined to households by the compiled SQL."""
    counties = sorted(set(county_codes))
    columns: dict[str, pa.Array] = {"county_code": pa.array(counties, pa.string())}
    for name, parameter in pack.parameters.items():
        values = [value_in_force(parameter, code, on).value for code in counties]
        columns[name] = pa.array(values, ARROW_TYPES[parameter.type])
    return pa.table(columns)


def values_used(pack: Pack, county_codes: Iterable[str], on: dt.date) -> dict[str, dict[str, object]]:
    """What a run records: for each parameter, the value and where it came from, per county."""
    used: dict[str, dict[str, object]] = {}
    for name, parameter in pack.parameters.items():
        per_county: dict[str, object] = {}
        for code in sorted(set(county_codes)):
            v = value_in_force(parameter, code, on)
            per_county[code] = {
                "value": v.value,
                "region": v.region or "nation",
                "from": v.effective_from.isoformat(),
                "example": v.example,
            }
        used[name] = per_county
    return used
