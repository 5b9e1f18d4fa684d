"""A scenario run's figures as an Excel workbook: one sheet per table of the result page (audited)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fupin.registry.choices import MonitoringCategory, RiskType
from fupin.scenarios.models import ScenarioRun
from fupin.web import services as web_services
from fupin.web.exports import XLSX, defuse


def _text(texts: dict[str, str] | None) -> str:
    texts = texts or {}
    return texts.get("zh" if (get_language() or "").startswith("zh") else "en") or texts.get("en", "")


def _sheet(book: Any, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    sheet = book.create_sheet("".join(ch for ch in title if ch not in "[]:*?/\\")[:31])
    sheet.append([defuse(h) for h in header])
    for row in rows:
        sheet.append([v if v is None or isinstance(v, int | float) else defuse(str(v)) for v in row])


def _area_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["code"],
            r["name"],
            r["both"] + r["only_baseline"],
            r["both"] + r["only_scenario"],
            r["only_scenario"],
            r["only_baseline"],
            r["people_only_scenario"],
            r["people_only_baseline"],
        ]
        for r in rows
    ]


def run_workbook(user: Any, run: ScenarioRun) -> FileResponse:
    from openpyxl import Workbook

    result = run.result or {}
    book = Workbook()
    book.remove(book.active)
    totals = result.get("totals", {})
    summary = [
        [_("Scenario"), run.scenario.name],
        [_("Policy pack in force"), f"{run.scenario.base_pack} {run.scenario.base_version}"],
        [_("Area"), run.area.name],
        [_("Simulated date"), run.as_of.isoformat()],
        [_("Households in the area"), totals.get("households", 0)],
        [_("Flagged today"), totals.get("baseline", 0)],
    ]
    if result.get("kind") == "simulation":
        summary += [
            [_("Flagged with the scenario"), totals.get("scenario", 0)],
            [_("Newly flagged households"), totals.get("only_scenario", 0)],
            [_("People in them"), totals.get("people_only_scenario", 0)],
            [_("No longer flagged households"), totals.get("only_baseline", 0)],
            [_("People in them"), totals.get("people_only_baseline", 0)],
        ]
    _sheet(book, _("Summary"), [_("Figure"), _("Value")], summary)
    area_header = [
        _("Code"),
        _("Area"),
        _("Flagged today"),
        _("Flagged with the scenario"),
        _("Newly flagged"),
        _("No longer flagged"),
        _("People newly flagged"),
        _("People no longer flagged"),
    ]
    levels = result.get("levels", {})
    rows = 0
    for level, title in (("county", _("Counties")), ("township", _("Townships")), ("village", _("Villages"))):
        chosen = levels.get(level, [])
        rows += len(chosen)
        if result.get("kind") == "simulation":
            _sheet(book, title, area_header, _area_rows(chosen))
    if result.get("kind") == "simulation":
        _sheet(
            book,
            _("Categories"),
            [_("Category"), _("Newly flagged"), _("No longer flagged")],
            [
                [MonitoringCategory(c).label, f["only_scenario"], f["only_baseline"]]
                for c, f in result.get("by_category", {}).items()
                if c in MonitoringCategory.values
            ],
        )
        _sheet(
            book,
            _("Risk types"),
            [_("Risk type"), _("Newly flagged"), _("No longer flagged")],
            [
                [
                    str(RiskType(r).label) if r in RiskType.values else r,
                    f["only_scenario"],
                    f["only_baseline"],
                ]
                for r, f in result.get("by_risk_type", {}).items()
            ],
        )
        _sheet(
            book,
            _("Rules"),
            [_("Rule"), _("Households today"), _("Households with the scenario")],
            [[_text(r["title"]), r["baseline"], r["scenario"]] for r in result.get("by_rule", [])],
        )
        _sheet(
            book,
            _("Attribution"),
            [_("Change"), _("Newly flagged"), _("No longer flagged")],
            [
                [_text(a["title"]), a["only_scenario"], a["only_baseline"]]
                for a in result.get("attribution", [])
            ],
        )
    else:
        steps = result.get("steps", [])
        _sheet(
            book,
            _("Sweep"),
            [_("Value"), _("Flagged"), _("Newly flagged"), _("No longer flagged")],
            [[s["value"], s["flagged"], s["only_scenario"], s["only_baseline"]] for s in steps],
        )
        _sheet(
            book,
            _("Counties"),
            [_("Code"), _("Area"), *[str(s["value"]) for s in steps]],
            [[c["code"], c["name"], *c["flagged"]] for c in result.get("counties", [])],
        )
    web_services.record_list_export(
        actor=user,
        list_name="scenario_run",
        format="xlsx",
        rows=rows,
        filters={"run": run.pk, "scenario": run.scenario_id},
        area_code=run.area.code,
    )
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the FileResponse closes it
    book.save(out)
    out.seek(0)
    filename = f"scenario-{run.scenario_id}-run-{run.pk}-{timezone.localdate().isoformat()}.xlsx"
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX)
