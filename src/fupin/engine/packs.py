"""Policy packs: YAML files of parameters, variables, rules and test cases, read with line numbers.

A pack is data, not code: a province's staff write it and ``fupin policy check`` tells them, by file,
place and line, what is wrong. Loading only reads the structure; expressions are checked by
``checker.check_pack``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from fupin.engine.programmes import Programme
    from fupin.engine.scorecards import Scorecard

CATEGORIES = ("unstable_lifted", "marginal", "sudden_difficulty")
RISK_TYPES = (
    "illness",
    "schooling",
    "disability",
    "disaster",
    "accident",
    "business_failure",
    "unstable_employment",
    "lack_of_labour",
    "housing",
    "water",
    "other",
)
SEVERITIES = ("high", "medium", "low")
PARAMETER_TYPES = ("number", "integer", "boolean")
# A benefit programme's own parameters may also be dates (e.g. "hired since 2020-01-01").
PROGRAMME_PARAMETER_TYPES = (*PARAMETER_TYPES, "date")
AGGREGATES = ("count", "sum", "max", "min", "any")
CONFIDENCES = ("firm", "local", "uncertain", "example")
NATION = ""  # region code of a value that holds everywhere


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack: where (file, place such as ``rules[income_low].condition``, line)."""

    file: str
    place: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.place}: {self.message}"


class PackError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class ParameterValue:
    region: str  # "" nation, 2-digit province, 4-digit prefecture, 6-digit county
    effective_from: dt.date
    effective_to: dt.date | None
    value: float | int | bool  # a date parameter's value is its proleptic ordinal (date.toordinal)
    example: bool
    line: int | None


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    unit: str
    description: dict[str, str]
    source: str
    confidence: str
    values: tuple[ParameterValue, ...]
    line: int | None
    title: dict[str, str] = field(default_factory=dict)  # a short name for pages, in zh and en


@dataclass(frozen=True)
class Variable:
    """Per household. Either an aggregate over a source table or an expression over other names."""

    name: str
    description: dict[str, str]
    line: int | None
    source: str | None = None  # members | incomes | feeds, for an aggregate
    aggregate: str | None = None
    value: str | None = None  # row expression aggregated (not for count/any)
    where: str | None = None  # row condition
    expr: str | None = None  # expression over household columns, variables, parameters


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    risk_types: tuple[str, ...]
    condition: str
    severity: str
    message: dict[str, str]
    line: int | None
    title: dict[str, str] = field(default_factory=dict)  # a short name for pages and reports, zh and en


@dataclass(frozen=True)
class TestCase:
    name: str
    household: dict[str, Any]
    members: list[dict[str, Any]]
    incomes: list[dict[str, Any]]
    feeds: list[dict[str, Any]]
    hits: tuple[str, ...]
    misses: tuple[str, ...]
    as_of: dt.date | None
    line: int | None


@dataclass(frozen=True)
class Pack:
    name: str
    version: str
    region: str
    effective_from: dt.date
    effective_to: dt.date | None
    title: dict[str, str]
    parameters: dict[str, Parameter]
    variables: dict[str, Variable]
    rules: tuple[Rule, ...]
    tests: tuple[TestCase, ...]
    file: str
    extends: str | None = None
    lines: dict[str, int] = field(default_factory=dict, compare=False)
    programmes: tuple[Programme, ...] = ()  # benefit programmes (fupin.engine.programmes)
    scorecards: tuple[Scorecard, ...] = ()  # assessment scorecards (fupin.engine.scorecards)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


# ---------------------------------------------------------------- reading YAML with line numbers

_LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records, in every mapping, the line where it starts (1-based)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(key): value for key, value in loader.construct_mapping(node, deep=True).items()}
    mapping[_LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Reader:
    """Collects problems instead of stopping at the first, so one check lists everything wrong."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, place: str, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.file, place, line, message))

    def text(self, data: dict[str, Any], key: str, place: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.problem(place, data.get(_LINE), f"'{key}' is missing")
            return ""
        if not isinstance(value, str | int | float):
            self.problem(place, data.get(_LINE), f"'{key}' must be text")
            return ""
        return str(value)

    def date(self, data: dict[str, Any], key: str, place: str, *, required: bool = True) -> dt.date | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(place, data.get(_LINE), f"'{key}' is missing")
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problem(place, data.get(_LINE), f"'{key}' must be a date like 2024-01-01, not {value!r}")
            return None

    def languages(
        self, data: dict[str, Any], key: str, place: str, *, required: bool = True
    ) -> dict[str, str]:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(place, data.get(_LINE), f"'{key}' is missing: give it in zh and en")
            return {}
        if not isinstance(value, dict) or not all(isinstance(value.get(lang), str) for lang in ("zh", "en")):
            self.problem(place, data.get(_LINE), f"'{key}' needs a zh and an en text")
            return {}
        return {"zh": value["zh"], "en": value["en"]}

    def choice(self, data: dict[str, Any], key: str, place: str, allowed: tuple[str, ...]) -> str:
        value = self.text(data, key, place)
        if value and value not in allowed:
            self.problem(place, data.get(_LINE), f"'{key}' is {value!r}; choose one of {', '.join(allowed)}")
        return value


def _region(value: object) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text in ("", "0", "000000", "nation") else text


def _parameter(
    reader: _Reader,
    name: str,
    data: dict[str, Any],
    *,
    overlay: bool = False,
    types: tuple[str, ...] = PARAMETER_TYPES,
    place: str | None = None,
) -> Parameter:
    """A parameter; in a pack that ``extends`` another, a parameter may give only more ``values``."""
    if overlay and "type" not in data:
        return _overlay_parameter(reader, name, data)
    place = place or f"parameters[{name}]"
    line = data.get(_LINE)
    kind = reader.choice(data, "type", place, types)
    values: list[ParameterValue] = []
    raw_values = data.get("values")
    if not isinstance(raw_values, list) or not raw_values:
        reader.problem(place, line, "'values' must list at least one dated value")
        raw_values = []
    for index, item in enumerate(raw_values):
        item_place = f"{place}.values[{index}]"
        if not isinstance(item, dict):
            reader.problem(item_place, line, "each value needs region, from and value")
            continue
        start = reader.date(item, "from", item_place)
        end = reader.date(item, "to", item_place, required=False)
        raw = item.get("value")
        value: float | int | bool
        if (
            kind == "boolean"
            and isinstance(raw, bool)
            or kind == "integer"
            and isinstance(raw, int)
            and not isinstance(raw, bool)
        ):
            value = raw
        elif kind == "number" and isinstance(raw, int | float) and not isinstance(raw, bool):
            value = float(raw)
        elif kind == "date" and isinstance(raw, dt.date):
            value = raw.toordinal()
        else:
            reader.problem(item_place, item.get(_LINE), f"'value' must be a {kind or 'value'}, not {raw!r}")
            continue
        region = _region(item.get("region"))
        if region and (not region.isdigit() or len(region) not in (2, 4, 6)):
            reader.problem(item_place, item.get(_LINE), f"region {region!r} is not a 2, 4 or 6-digit code")
            continue
        if start is not None:
            values.append(
                ParameterValue(region, start, end, value, bool(item.get("example")), item.get(_LINE))
            )
    confidence = reader.choice(data, "confidence", place, CONFIDENCES)
    return Parameter(
        name=name,
        type=kind,
        unit=str(data.get("unit", "")),
        description=reader.languages(data, "description", place),
        source=reader.text(data, "source", place),
        confidence=confidence,
        values=tuple(values),
        line=line,
        # Pages show the title, never the name: every parameter has one in both languages.
        title=reader.languages(data, "title", place),
    )


def _overlay_parameter(reader: _Reader, name: str, data: dict[str, Any]) -> Parameter:
    place = f"parameters[{name}]"
    values = []
    for index, item in enumerate(data.get("values") or []):
        item_place = f"{place}.values[{index}]"
        start = reader.date(item, "from", item_place) if isinstance(item, dict) else None
        raw = item.get("value") if isinstance(item, dict) else None
        if not isinstance(raw, bool | int | float) or start is None:
            reader.problem(item_place, data.get(_LINE), "each value needs from and a number or true/false")
            continue
        end = reader.date(item, "to", item_place, required=False)
        region = _region(item.get("region"))
        values.append(ParameterValue(region, start, end, raw, bool(item.get("example")), item.get(_LINE)))
    if not values:
        reader.problem(place, data.get(_LINE), "'values' must list at least one dated value")
    return Parameter(name, "", "", {}, "", "", tuple(values), data.get(_LINE))


def _variable(reader: _Reader, name: str, data: dict[str, Any]) -> Variable:
    place = f"variables[{name}]"
    line = data.get(_LINE)
    description = reader.languages(data, "description", place, required=False)
    if "expr" in data:
        if "from" in data:
            reader.problem(place, line, "give either 'expr' or 'from' with 'aggregate', not both")
        return Variable(name, description, line, expr=reader.text(data, "expr", place))
    source = reader.choice(data, "from", place, ("members", "incomes", "feeds"))
    aggregate = reader.choice(data, "aggregate", place, AGGREGATES)
    value = data.get("value")
    if aggregate in ("sum", "max", "min") and not value:
        reader.problem(place, line, f"aggregate '{aggregate}' needs a 'value' to aggregate")
    if aggregate in ("count", "any") and value:
        reader.problem(place, line, f"aggregate '{aggregate}' takes only 'where', not 'value'")
    where = data.get("where")
    return Variable(
        name,
        description,
        line,
        source=source,
        aggregate=aggregate,
        value=None if value is None else str(value),
        where=None if where is None else str(where),
    )


def _rule(reader: _Reader, data: dict[str, Any], index: int) -> Rule | None:
    if not isinstance(data, dict):
        reader.problem(f"rules[{index}]", None, "a rule is a mapping with id, category, condition, message")
        return None
    rule_id = reader.text(data, "id", f"rules[{index}]")
    place = f"rules[{rule_id or index}]"
    risk_types = data.get("risk_types") or []
    if not isinstance(risk_types, list) or not 1 <= len(risk_types) <= 5:
        reader.problem(place, data.get(_LINE), "'risk_types' lists one to five risk types")
        risk_types = []
    for risk in risk_types:
        if risk not in RISK_TYPES:
            reader.problem(
                place, data.get(_LINE), f"unknown risk type {risk!r}; choose from {', '.join(RISK_TYPES)}"
            )
    return Rule(
        id=rule_id,
        category=reader.choice(data, "category", place, CATEGORIES),
        risk_types=tuple(str(r) for r in risk_types),
        condition=reader.text(data, "condition", place),
        severity=reader.choice(data, "severity", place, SEVERITIES),
        message=reader.languages(data, "message", place),
        line=data.get(_LINE),
        # Pages show the title, never the id: every rule has one in both languages.
        title=reader.languages(data, "title", place),
    )


def _rows(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [{k: v for k, v in row.items() if k != _LINE} for row in value if isinstance(row, dict)]


def _test_case(reader: _Reader, data: dict[str, Any], index: int) -> TestCase:
    name = reader.text(data, "name", f"tests[{index}]")
    place = f"tests[{name or index}]"
    household = {k: v for k, v in (data.get("household") or {}).items() if k != _LINE}
    hits = tuple(data.get("hits") or ())
    misses = tuple(data.get("misses") or ())
    if not hits and not misses:
        reader.problem(place, data.get(_LINE), "a test case names the rules it must hit or must miss")
    return TestCase(
        name=name,
        household=household,
        members=_rows(data.get("members")),
        incomes=_rows(data.get("incomes")),
        feeds=_rows(data.get("feeds")),
        hits=hits,
        misses=misses,
        as_of=reader.date(data, "as_of", place, required=False),
        line=data.get(_LINE),
    )


def parse_pack(text: str, file: str = "<pack>") -> Pack:
    """Read a pack's structure. Raises PackError listing every structural problem."""
    reader = _Reader(file)
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise PackError([Problem(file, "YAML", mark.line + 1 if mark else None, str(error))]) from error
    if not isinstance(data, dict):
        raise PackError([Problem(file, "pack", 1, "a pack is a YAML mapping")])

    name = reader.text(data, "name", "pack")
    version = reader.text(data, "version", "pack")
    effective = data.get("effective") or {}
    start = reader.date(effective, "from", "effective") if isinstance(effective, dict) else None
    end = reader.date(effective, "to", "effective", required=False) if isinstance(effective, dict) else None

    parameters: dict[str, Parameter] = {}
    for key, value in (data.get("parameters") or {}).items():
        if key == _LINE:
            continue
        if isinstance(value, dict):
            parameters[key] = _parameter(reader, key, value, overlay=bool(data.get("extends")))
        else:
            reader.problem(f"parameters[{key}]", None, "a parameter is a mapping")
    variables: dict[str, Variable] = {}
    for key, value in (data.get("variables") or {}).items():
        if key == _LINE:
            continue
        if isinstance(value, dict):
            variables[key] = _variable(reader, key, value)
        else:
            reader.problem(f"variables[{key}]", None, "a variable is a mapping")
    rules = [r for i, raw in enumerate(data.get("rules") or []) if (r := _rule(reader, raw, i))]
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            reader.problem(f"rules[{rule.id}]", rule.line, "this rule id is used twice")
        seen.add(rule.id)
    tests = [
        _test_case(reader, raw, i) for i, raw in enumerate(data.get("tests") or []) if isinstance(raw, dict)
    ]
    title = reader.languages(data, "title", "pack")
    from fupin.engine.programmes import parse_programmes

    programmes = parse_programmes(reader, data.get("programmes"))
    from fupin.engine.scorecards import parse_scorecards

    scorecards = parse_scorecards(reader, data.get("scorecards"))
    if reader.problems:
        raise PackError(reader.problems)
    assert start is not None
    return Pack(
        name=name,
        version=version,
        region=_region(data.get("region")),
        effective_from=start,
        effective_to=end,
        title=title,
        parameters=parameters,
        variables=variables,
        rules=tuple(rules),
        tests=tuple(tests),
        file=file,
        extends=data.get("extends"),
        programmes=programmes,
        scorecards=scorecards,
    )


def merge(base: Pack, overlay: Pack) -> Pack:
    """A province pack over the pack it extends: its parameter values are added to the base's
    (more specific regions win when resolved), its variables and rules are added or replace the
    base's by name and id. Its own test cases are its tests: the base's cases describe the base's
    parameter values, which the province has just changed (run them on the base pack itself)."""
    parameters = dict(base.parameters)
    problems = []
    for name, parameter in overlay.parameters.items():
        if name in parameters:
            old = parameters[name]
            if parameter.type and parameter.type != old.type:
                problems.append(
                    Problem(overlay.file, f"parameters[{name}]", parameter.line, f"must stay {old.type}")
                )
            converted = []
            for v in parameter.values:
                if old.type == "boolean" and not isinstance(v.value, bool):
                    problems.append(
                        Problem(overlay.file, f"parameters[{name}]", v.line, "must be true or false")
                    )
                elif old.type == "integer" and (isinstance(v.value, bool) or not float(v.value).is_integer()):
                    problems.append(
                        Problem(overlay.file, f"parameters[{name}]", v.line, "must be a whole number")
                    )
                elif old.type != "boolean" and isinstance(v.value, bool):
                    problems.append(
                        Problem(overlay.file, f"parameters[{name}]", v.line, f"must be a {old.type}")
                    )
                else:
                    value = (
                        v.value
                        if old.type == "boolean"
                        else (int if old.type == "integer" else float)(v.value)
                    )
                    converted.append(
                        ParameterValue(v.region, v.effective_from, v.effective_to, value, v.example, v.line)
                    )
            parameter = Parameter(name, old.type, "", {}, "", "", tuple(converted), parameter.line)
            parameters[name] = Parameter(
                name=name,
                type=old.type,
                unit=old.unit,
                description=old.description,
                source=old.source,
                confidence=old.confidence,
                values=old.values + parameter.values,
                line=old.line,
                title=old.title,
            )
        elif not parameter.type:
            message = f"the pack it extends has no parameter {name}: give its type, description and source"
            problems.append(Problem(overlay.file, f"parameters[{name}]", parameter.line, message))
        else:
            parameters[name] = parameter
    if problems:
        raise PackError(problems)
    rules = {rule.id: rule for rule in base.rules}
    rules.update({rule.id: rule for rule in overlay.rules})
    programmes = {programme.id: programme for programme in base.programmes}
    programmes.update({programme.id: programme for programme in overlay.programmes})
    return Pack(
        name=overlay.name,
        version=overlay.version,
        region=overlay.region,
        effective_from=overlay.effective_from,
        effective_to=overlay.effective_to,
        title=overlay.title or base.title,
        parameters=parameters,
        variables={**base.variables, **overlay.variables},
        rules=tuple(rules.values()),
        tests=overlay.tests,
        file=overlay.file,
        extends=overlay.extends,
        programmes=tuple(programmes.values()),
        scorecards=tuple({c.id: c for c in (*base.scorecards, *overlay.scorecards)}.values()),
    )


def load_pack(path: Path, search: list[Path] | None = None) -> Pack:
    """Read a pack file, and the pack it ``extends`` (looked up next to it), merged."""
    pack = parse_pack(path.read_text(encoding="utf-8"), file=path.name)
    if pack.extends:
        folders = [path.parent, *(search or [])]
        base_path = next(
            (f / f"{pack.extends}.yaml" for f in folders if (f / f"{pack.extends}.yaml").exists()), None
        )
        if base_path is None:
            raise PackError(
                [Problem(path.name, "extends", None, f"no pack named {pack.extends!r} next to it")]
            )
        pack = merge(load_pack(base_path, search), pack)
    return pack
