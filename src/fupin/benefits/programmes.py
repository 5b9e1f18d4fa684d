"""What the pages need to know about a pack's programmes: their titles, who applies, which facts to ask.

The rules themselves stay in the pack and the engine; this module only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from sqlglot import exp

from fupin.engine.checker import CheckedPack
from fupin.engine.programmes import Programme
from fupin.screening import packs

# Facts the system fills in itself: never asked on a form or in an import.
DERIVED_FACTS = {"applied_on", "period", "person_category"}

FACT_LABELS: dict[str, Promise] = {
    "persons_driven": _("lifted-out or monitored people it drives"),
    "inter_provincial": _("works in another province"),
    "contract_months": _("months of the labour contract or agreement"),
    "fare": _("actual round-trip fare (yuan)"),
    "hire_date": _("date hired"),
    "months_worked": _("months worked in the year"),
    "monthly_wage": _("monthly wage (yuan)"),
    "purchases": _("purchases of help products (yuan)"),
    "unsalable": _("the products are certified unsalable help products"),
    "extension_months": _("months of repayment extension asked for"),
}

APPLICANT_LABELS: dict[str, Promise] = {
    "person": _("a person"),
    "household": _("a household"),
    "entity": _("a business entity"),
    "enterprise": _("an enterprise (employer)"),
    "post": _("a post holder"),
}


@dataclass(frozen=True)
class Fact:
    name: str
    kind: str  # number | integer | boolean | date | string
    label: str | Promise


def checked(pack: str | None = None) -> CheckedPack:
    return packs.checked(pack)


def programme(checked_pack: CheckedPack, programme_id: str) -> Programme | None:
    return next((p for p in checked_pack.pack.programmes if p.id == programme_id), None)


def language() -> str:
    """The pack's language key (zh or en) for the page's language: packs and explanations hold both."""
    return "zh" if (get_language() or "").startswith("zh") else "en"


def title(programme_: Programme | None, programme_id: str = "") -> str:
    if programme_ is None:
        return programme_id
    return programme_.title.get(language()) or programme_.title.get("en") or programme_.id


def needs_person(programme_: Programme) -> bool:
    return "person_id" in programme_.needs() or programme_.applicant in ("person", "post")


def needs_entity(programme_: Programme) -> bool:
    return "entity_id" in programme_.needs()


def needs_period(programme_: Programme) -> bool:
    return "period" in programme_.needs() or programme_.applicant == "post"


def facts_asked(checked_pack: CheckedPack, programme_: Programme) -> list[Fact]:
    """The facts the programme's conditions, amount and caps read, in the order they first appear,
    less those the system fills in itself."""
    kinds = programme_.fact_kinds()
    seen: dict[str, None] = {}
    for key, tree in checked_pack.programme_trees.items():
        if not key.startswith(f"{programme_.id}."):
            continue
        for column in tree.find_all(exp.Column):
            if column.name in kinds and column.name not in DERIVED_FACTS:
                seen.setdefault(column.name, None)
    return [Fact(name, kinds[name], FACT_LABELS.get(name, name)) for name in seen]
