"""What pages call the things of a policy pack: its title, its rules' and parameters' titles, and the
regions its values are set for, in the page's language. Codes stay in the data; pages show these.

Every page, export and report that names a pack, a rule, a parameter or a region goes through here,
so a name a user reads always comes from a translated title.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fupin.areas.models import Area
from fupin.engine.packs import Pack, PackError
from fupin.screening import packs


def language() -> str:
    """The pack language of the active one: ``en`` for English, ``zh`` otherwise."""
    return "en" if (get_language() or "").startswith("en") else "zh"


def localized(texts: Mapping[str, str], fallback: str = "") -> str:
    """A pack text (``{zh: …, en: …}``) in the page's language, the other one if it is missing."""
    key = language()
    other = "zh" if key == "en" else "en"
    return texts.get(key) or texts.get(other) or fallback


def _pack(name: str) -> Pack | None:
    try:
        return packs.checked(name).pack
    except (LookupError, PackError):
        return None


def pack_title(name: str, version: str = "") -> str:
    """A pack's title (and version), e.g. 防止返贫动态监测（全国基础规则） 2026.1.

    A pack gone since a run names itself by its file name: nothing else is left to show."""
    pack = _pack(name)
    title = localized(pack.title, name) if pack else name
    return f"{title} {version}".strip()


def pack_choices() -> list[tuple[str, str]]:
    """(name, title) of every pack this installation offers, for a chooser."""
    return [(name, pack_title(name)) for name in packs.available()]


def rule_titles(name: str) -> dict[str, str]:
    """Rule id → its title, for the rules of a pack."""
    pack = _pack(name)
    return {rule.id: localized(rule.title, rule.id) for rule in pack.rules} if pack else {}


def parameter_titles(name: str) -> dict[str, str]:
    pack = _pack(name)
    return {p.name: localized(p.title, p.name) for p in pack.parameters.values()} if pack else {}


def region_label(code: str) -> str:
    """Where a parameter value holds: the whole country, or the province, prefecture or county by name."""
    code = (code or "").strip()
    if code in ("", "nation"):
        return _("Nationwide")
    name = Area.objects.filter(code=code).values_list("name", flat=True).first()
    return name or code


@dataclass(frozen=True)
class ParameterRow:
    name: str
    title: str
    county: str
    value: Any
    set_by: str
    since: str
    example: bool


def parameter_rows(
    policy: str, parameters: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> list[ParameterRow]:
    """The values a run used (``ScreeningRun.parameters``), one row per parameter and county, by title."""
    titles = parameter_titles(policy)
    codes = {code for per_county in parameters.values() for code in per_county}
    codes |= {str(used.get("region", "")) for per in parameters.values() for used in per.values()}
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))

    def where(code: str) -> str:
        return _("Nationwide") if code in ("", "nation") else names.get(code, code)

    rows = [
        ParameterRow(
            name=name,
            title=titles.get(name, name),
            county=names.get(county, county),
            value=used.get("value"),
            set_by=where(str(used.get("region", ""))),
            since=str(used.get("from", "")),
            example=bool(used.get("example")),
        )
        for name, per_county in parameters.items()
        for county, used in per_county.items()
    ]
    order = {name: index for index, name in enumerate(titles)}  # the pack's own order
    return sorted(rows, key=lambda row: (order.get(row.name, len(order)), row.name, row.county))
