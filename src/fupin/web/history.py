"""Turning audit entries and coded values into readable lines for the household page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.audit.models import AuditEntry
from fupin.registry.choices import RiskType
from fupin.registry.models import Household, IncomeRecord, Member

_MODELS: dict[str, type[models.Model]] = {
    "household": Household,
    "member": Member,
    "income": IncomeRecord,
}
_EXTRA_LABELS = {
    "name": _("Name"),
    "village": _("village"),
    "phone": _("phone"),
    "id_number": _("ID number"),
    "effective_from": _("effective from"),
    "field": _("field"),
}


def risk_labels(packed: str | list[str]) -> list[str]:
    codes = packed if isinstance(packed, list) else [c for c in (packed or "").split(",") if c]
    labels = dict(RiskType.choices)
    return [str(labels.get(code, code)) for code in codes]


def _model_field(object_type: str, name: str) -> models.Field | None:
    model = _MODELS.get(object_type)
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def field_label(object_type: str, name: str) -> str:
    if name in _EXTRA_LABELS:
        return str(_EXTRA_LABELS[name])
    field = _model_field(object_type, name)
    return str(field.verbose_name) if field is not None else name


def value_label(object_type: str, name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if name == "risk_types":
        return "、".join(risk_labels(str(value))) or "—"
    if name == "field":
        return field_label(object_type, str(value))
    field = _model_field(object_type, name)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField) or value in ("True", "False"):
        return str(_("yes")) if value in (True, "True") else str(_("no"))
    return str(value)


@dataclass
class ChangeLine:
    label: str
    old: str | None
    new: str


@dataclass
class HistoryItem:
    entry: AuditEntry
    subject: str
    lines: list[ChangeLine]

    @property
    def collapsed(self) -> bool:
        """Long entries (a new record's every value) are folded so the page stays short."""
        return len(self.lines) > 4


def history_items(entries: list[AuditEntry], subjects: dict[tuple[str, str], str]) -> list[HistoryItem]:
    items = []
    for entry in entries:
        lines = []
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        for name, change in changes.items():
            if isinstance(change, list) and len(change) == 2:
                old, new = change
                lines.append(
                    ChangeLine(
                        field_label(entry.object_type, name),
                        None if old is None else value_label(entry.object_type, name, old),
                        value_label(entry.object_type, name, new),
                    )
                )
            else:
                lines.append(
                    ChangeLine(
                        field_label(entry.object_type, name),
                        None,
                        value_label(entry.object_type, name, change),
                    )
                )
        if entry.action == "create":  # a new record: its empty values say nothing
            lines = [line for line in lines if line.new != "—"]
        subject = subjects.get((entry.object_type, entry.object_id), entry.summary)
        items.append(HistoryItem(entry=entry, subject=subject, lines=lines))
    return items
