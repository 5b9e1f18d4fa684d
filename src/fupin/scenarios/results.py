"""A simulation or sweep as the figures a run keeps (JSON): no names, ID numbers or phones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fupin.areas.models import Area
from fupin.engine import scenarios as engine
from fupin.engine.checker import CheckedPack
from fupin.engine.parameters import MissingParameter, value_in_force

EXAMPLES = 10
EXAMPLES_PER_CHANGE = 5
LEVELS = ("county", "township", "village")


def _names(codes: set[str]) -> dict[str, str]:
    return dict(Area.objects.filter(code__in=sorted(codes)).values_list("code", "name"))


def _titles(texts: dict[str, str], fallback: str) -> dict[str, str]:
    return {"zh": texts.get("zh") or fallback, "en": texts.get("en") or fallback}


def parameter_rows(
    checked: CheckedPack, area: Area, names: list[str], on: dt.date, new: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Each parameter as the page shows it: title, unit, the value in force for the area, its source."""
    rows = []
    for name in names:
        parameter = checked.pack.parameters[name]
        try:
            current: Any = value_in_force(parameter, area.code, on).value
        except MissingParameter:
            current = None
        rows.append(
            {
                "name": name,
                "title": _titles(parameter.title, name),
                "type": parameter.type,
                "unit": parameter.unit,
                "source": parameter.source,
                "confidence": parameter.confidence,
                "value": current,
                "new": (new or {}).get(name),
            }
        )
    return rows


def screening_parameters(checked: CheckedPack) -> list[str]:
    """The parameters the rules read (directly or through variables): those a scenario may change."""
    from fupin.engine.scenarios import names_in

    names: set[str] = set()
    for rule in checked.pack.rules:
        names |= names_in(rule.condition)
    for variable in checked.pack.variables.values():
        names |= names_in(variable.value) | names_in(variable.where) | names_in(variable.expr)
    return [n for n in checked.pack.parameters if n in names]


def simulation_result(
    baseline: CheckedPack, scenario: CheckedPack, simulation: engine.Simulation, area: Area
) -> dict[str, Any]:
    levels = {level: simulation.by_area(level) for level in LEVELS}
    # Villages: only those where something changes (a province has thousands).
    levels["village"] = [r for r in levels["village"] if r["only_baseline"] or r["only_scenario"]]
    names = _names({r["code"] for rows in levels.values() for r in rows})
    for rows in levels.values():
        for row in rows:
            row["name"] = names.get(row["code"], row["code"])
    rules = {r.id: r for r in (*baseline.pack.rules, *scenario.pack.rules)}
    by_rule = [
        {"id": rule_id, "title": _titles(rules[rule_id].title, rule_id), **counts}
        for rule_id, counts in sorted(simulation.by_rule().items())
        if rule_id in rules
    ]
    attribution = []
    for index, row in enumerate(simulation.attribution()):
        if row["kind"] == "parameter" and row["name"] in baseline.pack.parameters:
            title = _titles(baseline.pack.parameters[row["name"]].title, row["name"])
        elif row["kind"] == "rule" and row["name"] in rules:
            title = _titles(rules[row["name"]].title, row["name"])
        else:
            title = {"zh": row["name"], "en": row["name"]}
        attribution.append(
            {
                **row,
                "title": title,
                "examples": [
                    e["household_id"]
                    for e in simulation.examples("only_scenario", EXAMPLES_PER_CHANGE, index)
                ],
            }
        )
    return {
        "kind": "simulation",
        "totals": simulation.totals(),
        "levels": levels,
        "by_category": simulation.by_category(),
        "by_risk_type": simulation.by_risk_type(),
        "by_rule": by_rule,
        "attribution": attribution,
        "examples": {s: simulation.examples(s, EXAMPLES) for s in ("only_scenario", "only_baseline")},
        "timings": {k: round(v, 3) for k, v in simulation.timings.items()},
    }


def sweep_result(swept: engine.Sweep) -> dict[str, Any]:
    names = _names(set(swept.by_county))
    return {
        "kind": "sweep",
        "parameter": swept.parameter,
        "households": swept.households,
        "baseline": swept.baseline,
        "steps": swept.steps,
        "counties": [
            {"code": code, "name": names.get(code, code), "flagged": counts}
            for code, counts in swept.by_county.items()
        ],
        "totals": {"households": swept.households, "baseline": swept.baseline},
        "seconds": round(swept.seconds, 3),
    }
