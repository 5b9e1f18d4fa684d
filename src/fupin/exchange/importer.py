"""Importing households, members and yearly incomes from xlsx or CSV: every row checked, all or nothing.

* **Keys.** Households are matched by household number, members by ID number (blind index), incomes by
  household number and year. A matching record is updated, a new one created; a record whose values
  are the same is left alone, so importing the same file again changes nothing.
* **Header.** Compared with the spec before any row is read (``fupin.exchange.headers``): a missing
  required column, a column not recognised that looks like a known one ("did you mean 工资性收入?")
  and a column given twice are problems and nothing is imported; other unknown columns are ignored
  and listed as notes of the result.
* **Columns.** A column missing from the file leaves the stored value as it is (new records get the
  default); an empty cell in a column that is there clears the value (or sets the default). Sex and
  birth date of a member are taken from the ID number when empty.
* **Rules.** The registry's rules, checked row by row in bulk (not the per-record services, which
  audit each record): ID numbers by GB 11643 and against sex and birth date, one current head per
  household, an ID number registered once, at most 12 months of migrant work, exit reason and date
  together, income year from 2010, allowances not above transfer income, household size ≥ 1.
* **Scope.** A user needs the capability to edit records, and every row must be in a village of their
  capture scope (rows outside are errors, the message does not say where the record is).
* **All or nothing.** One transaction; rows are written in batches while no problem has been found,
  and any problem rolls everything back. Every problem is reported with its row, column and value.
* **Audit.** One entry per import, with counts only. ID numbers and phones are stored encrypted with a
  blind index and a masked form, as the registry services store them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability, refusal
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core.errors import Message, NotPermitted, ServiceError
from fupin.core.i18n import lazy_format
from fupin.core.signals import announce
from fupin.domain import idnumber, phone
from fupin.exchange import headers, reader
from fupin.exchange.cells import MISSING, Parser, blank, parser_for, shown
from fupin.exchange.specs import SPECS, Col, Spec
from fupin.pii.crypto import EncryptionPool, get_cipher
from fupin.registry.choices import Relation
from fupin.registry.models import Household, HouseholdTypeHistory, IncomeRecord, Member
from fupin.registry.services import ID_PROBLEMS, household_number_problem

BATCH_SIZE = 5000
PARALLEL_ROWS = 50_000  # past this many rows, encryption goes to worker processes
MAX_PROBLEMS = 50_000  # listed in the error workbook; more are counted
REGISTRY_KINDS = ("households", "members", "incomes")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Problem:
    """One problem: ``row`` in the file (0: the file as a whole), ``column`` as headed in the file."""

    row: int
    column: str
    message: Message
    col_index: int | None = None
    value: str = ""  # as shown in the errors sheet: ID numbers and phones masked


class ImportFailed(ServiceError):
    message = _("Nothing was imported: the file has errors.")

    def __init__(
        self, problems: list[Problem], total: int | None = None, notes: list[Problem] | None = None
    ) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        self.notes = notes or []  # columns not recognised and ignored (not problems)
        super().__init__()


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    extra: dict[str, int] = field(default_factory=dict)
    notes: list[Problem] = field(default_factory=list)  # columns not recognised and ignored


def masked(col: Col | None, value: object) -> str:
    text = shown(value)
    if col is not None and col.kind == "id_number":
        return idnumber.mask(idnumber.normalize(text)) if text else ""
    if col is not None and col.kind == "phone":
        return phone.mask(phone.normalize(text)) if text else ""
    return text[:100]


def _model_parsers(spec: Spec, model: type[models.Model]) -> dict[str, Parser]:
    parsers = {}
    for col in spec.columns:
        try:
            model_field = model._meta.get_field(col.field)
        except Exception:  # noqa: BLE001 - columns that are not model fields (number, village, phone)
            model_field = None
        if isinstance(model_field, models.DecimalField):
            parse = parser_for(
                col, max_digits=model_field.max_digits or 12, decimal_places=model_field.decimal_places or 2
            )
        else:
            parse = parser_for(col)
        parsers[col.field] = (
            _within_model_ranges(parse, model_field) if isinstance(model_field, models.Field) else parse
        )
    return parsers


def _within_model_ranges(parse: Parser, model_field: models.Field) -> Parser:
    """The model field's own ranges (its MinValue/MaxValue validators), checked on every parsed cell.

    Forms and the API reach the model through the registry's services, which call ``full_clean``; the
    bulk import writes rows directly for speed, so it runs the same validators here, or it would save
    the 250,000-mu forest that the form refuses."""
    ranges = [v for v in model_field.validators if isinstance(v, MinValueValidator | MaxValueValidator)]
    if not ranges:
        return parse

    def checked(value: object) -> tuple[Any, Message | None]:
        result, message = parse(value)
        if message is None and result is not MISSING and result is not None:
            for check in ranges:
                try:
                    check(result)
                except ValidationError as exc:
                    return None, lazy_format(exc.message, **(exc.params or {}))
        return result, message

    return checked


def _default(model: type[models.Model], name: str) -> Any:
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    if model_field.has_default():
        return model_field.get_default()
    return None if model_field.null else ""


class _Import:
    """One run over one file. Subclasses check their kind's rules and write a batch."""

    model: type[models.Model]

    def __init__(self, actor: Any, spec: Spec) -> None:
        self.actor = actor
        self.is_user = not isinstance(actor, str)
        self.capture_paths = scope.granted_paths(actor, "capture") if self.is_user else []
        self.spec = spec
        self.parsers = _model_parsers(spec, self.model)
        self.problems: list[Problem] = []
        self.problem_count = 0
        self.result = ImportResult(kind=spec.kind)
        self.cipher = get_cipher()
        self.id_index = self.cipher.blind_indexer("id")
        self.phone_index = self.cipher.blind_indexer("phone")
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.columns: dict[str, int] = {}
        self.headers: dict[str, str] = {}
        self.pool: EncryptionPool | None = None
        self.pending: Callable[[], None] | None = None

    # ---------------------------------------------------------------- problems

    @property
    def failed(self) -> bool:
        return self.problem_count > 0

    def problem(self, row: int, field_name: str | None, message: Message, value: object = None) -> None:
        self.problem_count += 1
        if len(self.problems) >= MAX_PROBLEMS:
            return
        col = self.spec.column(field_name) if field_name else None
        index = self.columns.get(field_name) if field_name else None
        header = self.headers.get(field_name, col.header if col else "") if field_name else ""
        self.problems.append(Problem(row, header, message, index, masked(col, value)))

    def in_scope(self, path: str) -> bool:
        return not self.is_user or any(path.startswith(p) for p in self.capture_paths)

    # ---------------------------------------------------------------- reading

    def map_columns(self, header: reader.Header) -> None:
        """Compare the header with the spec before any row is read (``headers.check_header``):
        missing, misspelt and doubled columns are problems at the header row, other unknown columns
        notes."""
        check = headers.check_header(header.cells, self.spec.columns)
        self.columns = check.columns
        self.headers = check.headers
        for issue in check.issues:
            shown = issue.column if issue.index is not None else ""
            found = Problem(header.row, issue.column, issue.message, issue.index, shown)
            if issue.blocking:
                self.problem_count += 1
                self.problems.append(found)
            else:
                self.result.notes.append(found)

    def run(self, rows: Iterator[list[object]], total: int, progress: Progress | None) -> ImportResult:
        accepted = {k for col in self.spec.columns for k in col.accepted}
        header, rest = reader.find_header(rows, accepted)
        self.map_columns(header)
        if self.failed:
            raise ImportFailed(self.problems, self.problem_count, self.result.notes)
        fields = list(self.columns.items())
        parsers = self.parsers
        key_index = self.columns[self.spec.key[0]]
        required = {col.field for col in self.spec.columns if col.required}
        batch: list[tuple[int, dict[str, Any], list[object]]] = []
        number = header.first_data_row - 1
        done = 0

        def all_rows() -> Iterator[list[object]]:
            yield from rest
            yield from rows

        for data in all_rows():
            number += 1
            key = data[key_index] if key_index < len(data) else None
            if blank(key) and all(blank(v) for v in data):
                continue  # blank lines, trailing rows Excel keeps
            values: dict[str, Any] = {}
            bad = False
            width = len(data)
            for name, index in fields:
                cell = data[index] if index < width else None
                value, message = parsers[name](cell)
                if message is not None:
                    self.problem(number, name, message, cell)
                    bad = True
                elif value is MISSING:
                    if name in required:
                        self.problem(number, name, _("This value is missing."))
                        bad = True
                else:
                    values[name] = value
            if not bad:
                batch.append((number, values, data))
            self.result.rows += 1
            if len(batch) >= BATCH_SIZE:
                self.flush(batch)
                done = number
                batch = []
                if progress:
                    progress(done, total)
        if batch:
            self.flush(batch)
        self.complete()
        if progress:
            progress(total, total)
        if self.result.rows == 0 and not self.failed:
            self.problem(0, None, _("The file has no rows to import."))
        return self.result

    def flush(self, batch: list[tuple[int, dict[str, Any], list[object]]]) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- encryption in other processes

    def encrypt_later(self, plain: list[str]) -> Callable[[], list[str]]:
        """Tokens for ``plain``, as a function to call when they are needed. Past ``PARALLEL_ROWS``
        rows the values go to worker processes (``EncryptionPool``, the same keys), so that the next
        batch is checked while this one is encrypted; the tokens are the same kind either way."""
        if self.pool is None and self.result.rows > PARALLEL_ROWS and (os.cpu_count() or 1) > 1:
            self.pool = self.cipher.encryption_pool()
        if self.pool is None or not plain:
            tokens = self.cipher.encrypt_many(plain)
            return lambda: tokens
        return self.pool.submit(plain)

    def write_later(self, write: Callable[[], None]) -> None:
        """Write this batch once the next one has been checked (its tokens are ready by then). Rows
        of a later batch cannot depend on it in the database: repeats within the file are found
        from ``seen`` and ``heads``, not from the table."""
        self.complete()
        self.pending = write

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def complete(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None and not self.failed:
            pending()

    # ---------------------------------------------------------------- shared look-ups

    def households_by_number(self, numbers: set[str]) -> dict[str, tuple[int, str]]:
        """Household number → (pk, village path), for the numbers of one batch."""
        found: dict[str, tuple[int, str]] = {}
        wanted = sorted(numbers)
        for start in range(0, len(wanted), 900):
            for number, pk, path in Household.objects.filter(
                number__in=wanted[start : start + 900]
            ).values_list("number", "pk", "village__path"):
                found[number] = (pk, path)
        return found

    def household_of(
        self, number: int, values: dict[str, Any], households: dict[str, tuple[int, str]]
    ) -> tuple[int, str] | None:
        found = households.get(values["household_number"])
        if found is None:
            self.problem(
                number,
                "household_number",
                _("There is no household with this number: import the households first."),
                values["household_number"],
            )
            return None
        if not self.in_scope(found[1]):
            self.problem(
                number,
                "household_number",
                _("This household is outside your area: remove the row, or ask someone responsible for it."),
                values["household_number"],
            )
            return None
        return found

    def encrypt(self, instances: Sequence[Any], plain: Sequence[str], prefix: str) -> None:
        for instance, token in zip(instances, self.cipher.encrypt_many(list(plain)), strict=True):
            setattr(instance, f"{prefix}_enc", token)

    def changed(self, existing: dict[str, Any], values: dict[str, Any], names: Sequence[str]) -> list[str]:
        return [n for n in names if n in values and existing[n] != values[n]]


# ------------------------------------------------------------------------------------- households

HOUSEHOLD_FIELDS = [
    "group_name",
    "address",
    "household_type",
    "status",
    "poverty_attribute",
    "main_cause",
    "secondary_cause",
    "housing_area",
    "housing_safety",
    "water_difficult",
    "water_safe",
    "has_electricity",
    "distance_to_road_km",
    "cultivated_land_mu",
    "irrigated_land_mu",
    "forest_land_mu",
    "grassland_mu",
    "water_surface_mu",
    "in_cooperative",
    "is_relocated",
    "relocation_mode",
    "relocation_place",
]


class _Households(_Import):
    model = Household

    def __init__(self, actor: Any, spec: Spec) -> None:
        super().__init__(actor, spec)
        self.seen: dict[str, int] = {}
        self.villages: dict[str, tuple[int, str] | None] = {}

    def fill(self, values: dict[str, Any]) -> None:
        """Blank cells of present columns become the field's default."""
        for name in HOUSEHOLD_FIELDS:
            if name in self.columns and name not in values:
                values[name] = _default(Household, name)

    def flush(self, batch: list[tuple[int, dict[str, Any], list[object]]]) -> None:
        codes = {v["village"] for _n, v, _d in batch} - set(self.villages)
        for code, pk, path in Area.objects.filter(code__in=codes, level=AreaLevel.VILLAGE).values_list(
            "code", "pk", "path"
        ):
            self.villages[code] = (pk, path)
        existing = {
            row["number"]: row
            for row in Household.objects.filter(
                number__in=[v["household_number"] for _n, v, _d in batch]
            ).values(
                "pk", "number", "version", "village_id", "village__path", "phone_bidx", *HOUSEHOLD_FIELDS
            )
        }
        creates: list[Household] = []
        phones_new: list[str] = []
        updates: list[Household] = []
        phones_upd: list[tuple[Household, str]] = []
        history: list[HouseholdTypeHistory] = []
        actor = self.actor if self.is_user else None
        for number, values, _data in batch:
            key = values["household_number"]
            if key in self.seen:
                self.problem(
                    number,
                    "household_number",
                    lazy_format(_("This household number also appears in row %(row)s."), row=self.seen[key]),
                    key,
                )
                continue
            self.seen[key] = number
            village = self.villages.get(values["village"])
            if village is None:
                self.problem(number, "village", _("There is no village with this code."), values["village"])
                continue
            if not self.in_scope(village[1]):
                self.problem(number, "village", _("This village is outside your area."), values["village"])
                continue
            old = existing.get(key)
            if old is not None and not self.in_scope(old["village__path"]):
                self.problem(
                    number,
                    "household_number",
                    _(
                        "This household is outside your area: remove the row, "
                        "or ask someone responsible for it."
                    ),
                    key,
                )
                continue
            if old is None and (wrong := household_number_problem(key, values["village"])):
                self.problem(number, "household_number", wrong, key)
                continue
            if values.get("relocation_mode") and not values.get("is_relocated", old and old["is_relocated"]):
                self.problem(
                    number, "relocation_mode", _("A relocation mode is only for relocated households.")
                )
                continue
            if self.failed:
                continue
            self.fill(values)
            phone_value = values.pop("phone", "" if "phone" in self.columns else None)
            fields = {n: values[n] for n in HOUSEHOLD_FIELDS if n in values}
            if old is None:
                household = Household(number=key, village_id=village[0], **fields)
                if phone_value:
                    household.phone_bidx = self.phone_index(phone_value)
                    household.phone_masked = phone.mask(phone_value)
                    phones_new.append(phone_value)
                creates.append(household)
                continue
            changed = self.changed(old, fields, HOUSEHOLD_FIELDS)
            new_phone_bidx = self.phone_index(phone_value) if phone_value else ""
            phone_changed = phone_value is not None and new_phone_bidx != old["phone_bidx"]
            if old["village_id"] != village[0]:
                changed.append("village_id")
            if not changed and not phone_changed:
                self.result.unchanged += 1
                continue
            household = Household(pk=old["pk"], number=key, village_id=village[0])
            for n in HOUSEHOLD_FIELDS:
                setattr(household, n, fields.get(n, old[n]))
            household.version = old["version"] + 1
            household.updated_at = self.now
            household._import_changed = changed + (["phone"] if phone_changed else [])  # type: ignore[attr-defined]
            if phone_changed:
                phones_upd.append((household, phone_value or ""))
            if household.household_type != old["household_type"] or household.status != old["status"]:
                history.append(
                    HouseholdTypeHistory(
                        household_id=old["pk"],
                        household_type=household.household_type,
                        status=household.status,
                        effective_from=self.today,
                        reason=str(_("Changed by import")),
                        recorded_by=actor,
                    )
                )
            updates.append(household)
        if self.failed:
            return
        with_phone = [h for h in creates if h.phone_bidx]
        self.encrypt(with_phone, phones_new, "phone")
        insert_rows(Household, [instance_row(h) for h in creates], self.now)
        pks: dict[str, int] = {}
        numbers = [h.number for h in creates]
        for start in range(0, len(numbers), 900):
            pks.update(
                Household.objects.filter(number__in=numbers[start : start + 900]).values_list("number", "pk")
            )
        for household in creates:
            history.append(
                HouseholdTypeHistory(
                    household_id=pks[household.number],
                    household_type=household.household_type,
                    status=household.status,
                    effective_from=self.today,
                    reason=str(_("Registered by import")),
                    recorded_by=actor,
                )
            )
        if phones_upd:
            tokens = self.cipher.encrypt_many([p for _h, p in phones_upd if p])
            it = iter(tokens)
            for household, value in phones_upd:
                household.phone_enc = next(it) if value else ""
                household.phone_bidx = self.phone_index(value) if value else ""
                household.phone_masked = phone.mask(value) if value else ""
        if updates:
            write = [*HOUSEHOLD_FIELDS, "village_id", "version", "updated_at"]
            plain = [h for h in updates if not getattr(h, "_import_changed", []).count("phone")]
            phoned = [h for h in updates if h not in plain]
            Household.objects.bulk_update(plain, write, batch_size=500)
            Household.objects.bulk_update(
                phoned, [*write, "phone_enc", "phone_bidx", "phone_masked"], batch_size=500
            )
        insert_rows(HouseholdTypeHistory, [instance_row(h) for h in history], self.now)
        self.result.created += len(creates)
        self.result.updated += len(updates)


# ------------------------------------------------------------------------------------- members

MEMBER_FIELDS = [
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "relation",
    "education",
    "schooling_status",
    "school_level",
    "health",
    "has_disability_certificate",
    "labour_capacity",
    "migrant_work_place",
    "migrant_work_months",
    "migrant_work_income",
    "basic_medical_insurance",
    "serious_illness_insurance",
    "pension_insurance",
    "receives_dibao",
    "receives_tekun",
    "exit_reason",
    "exit_date",
]


class _Members(_Import):
    model = Member

    def __init__(self, actor: Any, spec: Spec) -> None:
        super().__init__(actor, spec)
        self.seen: dict[str, int] = {}  # ID blind index → row
        self.heads: dict[str, int] = {}  # household number → row of its head in the file
        self.households: dict[str, tuple[int, str]] = {}
        self.defaults = {n: _default(Member, n) for n in MEMBER_FIELDS if n not in ("sex", "birth_date")}

    def flush(self, batch: list[tuple[int, dict[str, Any], list[object]]]) -> None:
        self.households.update(
            self.households_by_number({v["household_number"] for _n, v, _d in batch} - set(self.households))
        )
        rows = []
        for number, values, _data in batch:
            household = self.household_of(number, values, self.households)
            if household is None:
                continue
            id_number = values["id_number"]
            birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
            sex = "M" if int(id_number[16]) % 2 else "F"
            if values.setdefault("sex", sex) != sex:
                self.problem(number, "id_number", ID_PROBLEMS["sex"], id_number)
                continue
            if values.setdefault("birth_date", birth) != birth:
                self.problem(number, "id_number", ID_PROBLEMS["birth_mismatch"], id_number)
                continue
            if values["birth_date"] > self.today:
                self.problem(number, "birth_date", _("The birth date cannot be in the future."))
                continue
            if values.get("migrant_work_months", 0) > 12:
                self.problem(number, "migrant_work_months", _("A year has at most 12 months."))
                continue
            if values.get("exit_reason") and not values.get("exit_date"):
                self.problem(number, "exit_date", _("Give the date the member left."))
                continue
            if values.get("exit_date") and not values.get("exit_reason"):
                self.problem(number, "exit_reason", _("Give the reason the member left."))
                continue
            bidx = self.id_index(id_number)
            if bidx in self.seen:
                self.problem(
                    number,
                    "id_number",
                    lazy_format(_("This ID number also appears in row %(row)s."), row=self.seen[bidx]),
                    id_number,
                )
                continue
            self.seen[bidx] = number
            if values["relation"] == Relation.HEAD and not values.get("exit_reason"):
                other = self.heads.get(values["household_number"])
                if other is not None:
                    self.problem(
                        number,
                        "relation",
                        lazy_format(_("This household already has a head in row %(row)s."), row=other),
                    )
                    continue
                self.heads[values["household_number"]] = number
            rows.append((number, values, household[0], bidx))
        existing: dict[str, list[dict[str, Any]]] = {}
        registered = _existing_values(Member, "id_number_bidx", [r[3] for r in rows])
        for start in range(0, len(rows), 900):
            chunk = [r[3] for r in rows[start : start + 900] if r[3] in registered]
            if not chunk:
                continue
            for row in Member.objects.filter(id_number_bidx__in=chunk).values(
                "pk",
                "household_id",
                "household__number",
                "version",
                "id_number_bidx",
                "phone_bidx",
                *MEMBER_FIELDS,
            ):
                existing.setdefault(row["id_number_bidx"], []).append(row)
        head_households = {
            r[2] for r in rows if r[1]["relation"] == Relation.HEAD and not r[1].get("exit_reason")
        }
        current_heads: dict[int, set[str]] = {}
        for household_id, bidx in _current_heads(head_households):
            current_heads.setdefault(household_id, set()).add(bidx)
        creates: list[dict[str, Any]] = []
        create_phones: list[tuple[dict[str, Any], str]] = []
        plain_ids: list[str] = []
        new_phones: list[tuple[Member, str]] = []
        updates: list[Member] = []
        for number, values, household_id, bidx in rows:
            matches = existing.get(bidx, [])
            same = next((m for m in matches if m["household_id"] == household_id), None)
            elsewhere = next(
                (m for m in matches if m["household_id"] != household_id and not m["exit_reason"]), None
            )
            if same is None and elsewhere is not None:
                self.problem(
                    number,
                    "id_number",
                    lazy_format(
                        _("This ID number is already registered in household %(number)s."),
                        number=elsewhere["household__number"],
                    ),
                    values["id_number"],
                )
                continue
            if values["relation"] == Relation.HEAD and not values.get("exit_reason"):
                others = current_heads.get(household_id, set()) - {bidx}
                if others:
                    self.problem(number, "relation", _("This household already has a head."))
                    continue
            if self.failed:
                continue
            phone_value = values.pop("phone", "" if "phone" in self.columns else None)
            for name, default in self.defaults.items():
                if name in self.columns and name not in values:
                    values[name] = default
            fields = {n: values[n] for n in MEMBER_FIELDS if n in values}
            if same is None:
                row = {"household_id": household_id, "id_number_bidx": bidx, **fields}
                row["id_number_masked"] = idnumber.mask(values["id_number"])
                row.update(self.cipher.id_tail_indexes(values["id_number"]))
                plain_ids.append(values["id_number"])
                if phone_value:
                    create_phones.append((row, phone_value))
                creates.append(row)
                continue
            changed = self.changed(same, fields, MEMBER_FIELDS)
            phone_bidx = self.phone_index(phone_value) if phone_value else ""
            phone_changed = phone_value is not None and phone_bidx != same["phone_bidx"]
            if not changed and not phone_changed:
                self.result.unchanged += 1
                continue
            member = Member(pk=same["pk"], household_id=household_id)
            for n in MEMBER_FIELDS:
                setattr(member, n, fields.get(n, same[n]))
            member.version = same["version"] + 1
            member.updated_at = self.now
            member.phone_bidx = same["phone_bidx"]
            if phone_changed:
                new_phones.append((member, phone_value or ""))
            updates.append(member)
        if self.failed:
            return
        with_phone = [(m, p) for m, p in new_phones if p]
        plain = [*plain_ids, *(p for _r, p in create_phones), *(p for _m, p in with_phone)]
        tokens = self.encrypt_later(plain)

        def write() -> None:
            it = iter(tokens())
            for row in creates:
                row["id_number_enc"] = next(it)
            for row, value in create_phones:
                row["phone_enc"], row["phone_bidx"], row["phone_masked"] = (
                    next(it),
                    self.phone_index(value),
                    phone.mask(value),
                )
            for member, value in with_phone:
                member.phone_enc, member.phone_bidx, member.phone_masked = (
                    next(it),
                    self.phone_index(value),
                    phone.mask(value),
                )
            for member, value in new_phones:
                if not value:
                    member.phone_enc = member.phone_bidx = member.phone_masked = ""
            insert_rows(Member, creates, self.now)
            if updates:
                phoned = {id(m) for m, _p in new_phones}
                fields = [*MEMBER_FIELDS, "version", "updated_at"]
                Member.objects.bulk_update(
                    [m for m in updates if id(m) not in phoned], fields, batch_size=500
                )
                Member.objects.bulk_update(
                    [m for m in updates if id(m) in phoned],
                    [*fields, "phone_enc", "phone_bidx", "phone_masked"],
                    batch_size=500,
                )
            self.result.created += len(creates)
            self.result.updated += len(updates)

        self.write_later(write)


# ------------------------------------------------------------------------------------- incomes

INCOME_FIELDS = [
    "household_size",
    "wage",
    "business",
    "property_income",
    "transfer",
    "excluded_transfer",
    "business_expenditure",
    "compliant_oop_spending",
]


class _Incomes(_Import):
    model = IncomeRecord

    def __init__(self, actor: Any, spec: Spec) -> None:
        super().__init__(actor, spec)
        self.seen: dict[tuple[str, int], int] = {}
        self.households: dict[str, tuple[int, str]] = {}

    def flush(self, batch: list[tuple[int, dict[str, Any], list[object]]]) -> None:
        self.households.update(
            self.households_by_number({v["household_number"] for _n, v, _d in batch} - set(self.households))
        )
        rows = []
        for number, values, _data in batch:
            household = self.household_of(number, values, self.households)
            if household is None:
                continue
            key = (values["household_number"], values["year"])
            if key in self.seen:
                self.problem(
                    number,
                    "year",
                    lazy_format(_("This household and year also appear in row %(row)s."), row=self.seen[key]),
                    values["year"],
                )
                continue
            self.seen[key] = number
            rows.append((number, values, household[0]))
        ids = {r[2] for r in rows}
        existing = {
            (row["household_id"], row["year"]): row
            for row in IncomeRecord.objects.filter(household_id__in=ids).values(
                "pk", "household_id", "year", "version", *INCOME_FIELDS
            )
        }
        sizes = dict(
            Member.objects.filter(household_id__in=ids, exit_reason="")
            .values("household_id")
            .annotate(n=models.Count("id"))
            .values_list("household_id", "n")
        )
        creates: list[dict[str, Any]] = []
        updates: list[IncomeRecord] = []
        for number, values, household_id in rows:
            old = existing.get((household_id, values["year"]))
            for name in INCOME_FIELDS:
                if name not in values:
                    if name == "household_size" and (name not in self.columns or old is None):
                        values[name] = (
                            old[name] if old and name not in self.columns else sizes.get(household_id, 0)
                        )
                    elif old is not None and name not in self.columns:
                        values[name] = old[name]
                    else:
                        values[name] = Decimal(0) if name != "household_size" else sizes.get(household_id, 0)
            if values["household_size"] < 1:
                self.problem(number, "household_size", _("A household has at least one member."))
                continue
            if values["excluded_transfer"] > values["transfer"]:
                self.problem(
                    number,
                    "excluded_transfer",
                    _("Excluded allowances are part of transfer income and cannot exceed it."),
                    values["excluded_transfer"],
                )
                continue
            if self.failed:
                continue
            fields = {n: values[n] for n in INCOME_FIELDS}
            if old is None:
                creates.append({"household_id": household_id, "year": values["year"], **fields})
            elif self.changed(old, fields, INCOME_FIELDS):
                record = IncomeRecord(pk=old["pk"], household_id=household_id, year=values["year"], **fields)
                record.version = old["version"] + 1
                record.updated_at = self.now
                updates.append(record)
            else:
                self.result.unchanged += 1
        if self.failed:
            return
        insert_rows(IncomeRecord, creates, self.now)
        IncomeRecord.objects.bulk_update(updates, [*INCOME_FIELDS, "version", "updated_at"], batch_size=500)
        self.result.created += len(creates)
        self.result.updated += len(updates)


def _existing_values(model: type[models.Model], column: str, values: Sequence[str]) -> set[str]:
    """Which of ``values`` are in ``column`` (raw SQL: on a batch of thousands the ORM's preparation
    of every parameter cost more than the query)."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    found: set[str] = set()
    wanted = list(dict.fromkeys(values))
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            # Table and column names come from the model and the caller; values are parameters.
            cursor.execute(
                f"SELECT {quote(column)} FROM {quote(model._meta.db_table)} "  # noqa: S608
                f"WHERE {quote(column)} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            found.update(value for (value,) in cursor.fetchall())
    return found


def _current_heads(household_ids: set[int]) -> list[tuple[int, str]]:
    """(household id, ID blind index) of the current heads of these households (raw SQL, as above)."""
    connection = connections[router.db_for_write(Member)]
    quote = connection.ops.quote_name
    table = quote(Member._meta.db_table)
    household = quote(Member._meta.get_field("household").column)
    bidx = quote(Member._meta.get_field("id_number_bidx").column)
    relation = quote(Member._meta.get_field("relation").column)
    exit_reason = quote(Member._meta.get_field("exit_reason").column)
    wanted = sorted(household_ids)
    found: list[tuple[int, str]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            cursor.execute(
                f"SELECT {household}, {bidx} FROM {table} WHERE {relation} = %s "  # noqa: S608
                f"AND {exit_reason} = %s AND {household} IN ({', '.join(['%s'] * len(chunk))})",
                [str(Relation.HEAD), "", *chunk],
            )
            found.extend((int(h), str(b)) for h, b in cursor.fetchall())
    return found


def instance_row(instance: models.Model) -> dict[str, Any]:
    return {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields if not f.primary_key
    }


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]], now: dt.datetime) -> None:
    """INSERT many rows with one ``executemany``: ``bulk_create`` prepares every value through the
    field machinery and costs ~0.3 ms a row, which is most of a million-row import. Values are
    already checked and of the fields' Python types; missing fields take their defaults."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    stamp = connection.ops.adapt_datetimefield_value(now)
    defaults = {}
    stamps = {
        f.attname: stamp for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }
    for f in fields:
        if f.has_default():
            defaults[f.attname] = f.get_default()
        else:
            defaults[f.attname] = None if f.null else ""
    names = [f.attname for f in fields]
    decimals = [i for i, f in enumerate(fields) if isinstance(f, models.DecimalField)]
    dates = [i for i, f in enumerate(fields) if type(f) is models.DateField]
    quote = connection.ops.quote_name
    # Table and column names come from the model; values are parameters.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    params = []
    for row in rows:
        merged = defaults | row | stamps
        values = [merged[n] for n in names]
        for i in decimals:
            if values[i] is not None:
                values[i] = connection.ops.adapt_decimalfield_value(values[i])
        for i in dates:
            if values[i] is not None:
                values[i] = connection.ops.adapt_datefield_value(values[i])
        params.append(values)
    with connection.cursor() as cursor:
        for start in range(0, len(params), 10_000):
            cursor.executemany(sql, params[start : start + 10_000])


IMPORTERS: dict[str, type[_Import]] = {"households": _Households, "members": _Members, "incomes": _Incomes}


# ------------------------------------------------------------------------------------- entry point


def _read(path_or_bytes: str | Path | bytes, file_name: str | None) -> tuple[bytes, str]:
    if isinstance(path_or_bytes, bytes):
        return path_or_bytes, Path(file_name or "upload").name
    path = Path(path_or_bytes)
    try:
        return path.read_bytes(), Path(file_name or path.name).name
    except OSError:
        raise ImportFailed(
            [Problem(0, "", lazy_format(_("No such file: %(path)s"), path=str(path)))]
        ) from None


def import_kinds() -> list[str]:
    from fupin.feeds.kinds import KINDS

    return [*REGISTRY_KINDS, "areas", *KINDS]


def kind_label(kind: str) -> str:
    """What a file of ``kind`` holds, by name (as on the upload form and in the list of imports)."""
    from fupin.feeds.kinds import KINDS

    if kind == "areas":
        return str(_("Townships and villages"))
    spec = SPECS.get(kind) or KINDS.get(kind)
    return str(spec.label) if spec else kind


def import_file(
    actor: Any,
    kind: str,
    path_or_bytes: str | Path | bytes,
    file_name: str | None = None,
    *,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one file of ``kind``; all or nothing. Raises ``NotPermitted`` or ``ImportFailed``.

    ``actor`` is a user (role and capture scope apply) or a string naming the operator at the
    command line. Areas and department feeds go to their own importers (``fupin.areas``,
    ``fupin.feeds``), whose problems come back in the same form.
    """
    is_user = not isinstance(actor, str)
    data, name = _read(path_or_bytes, file_name)
    if kind == "areas":
        return _import_areas(actor, data, name)
    if kind not in SPECS:
        return _import_feed(actor, kind, data, name)
    if is_user and not (getattr(actor, "is_authenticated", False) and actor.can(Capability.EDIT_RECORDS)):
        raise NotPermitted(refusal(getattr(actor, "role", ""), Capability.EDIT_RECORDS))
    started = time.perf_counter()
    try:
        rows = reader.open_rows(data, name)
        total = reader.estimate_rows(data, name) if progress else 0
        run = IMPORTERS[kind](actor, SPECS[kind])
        with transaction.atomic(), _large_cache():
            try:
                result = run.run(rows, total, progress)
            finally:
                run.close()
            if run.failed:
                raise ImportFailed(run.problems, run.problem_count, run.result.notes)
            result.seconds = time.perf_counter() - started
            audit.record(
                actor=actor,
                action="import",
                object_type=kind,
                summary=(
                    f"{kind} import: {result.rows} rows, {result.created} created, "
                    f"{result.updated} updated, {result.unchanged} unchanged"
                ),
                changes={
                    "kind": kind,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
            transaction.on_commit(lambda: announce(ImportResult, "import"))
    except reader.UnreadableFile as exc:
        raise ImportFailed([Problem(0, "", exc.message)]) from None
    return result


@contextlib.contextmanager
def _large_cache() -> Iterator[None]:
    """On SQLite, a page cache of 256 MiB for the import: the ID-number and phone indexes take inserts
    at random places, and with the default 8 MiB cache most of them wait for a page from the OS."""
    connection = connections["default"]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _import_areas(actor: Any, data: bytes, name: str) -> ImportResult:
    from fupin.areas import services as areas

    try:
        grid = list(reader.open_rows(data, name))
        table = areas._table_from_grid(grid)
        outcome = areas.import_areas(table.rows, actor=actor, first_row=table.first_row, source_name=name)
    except reader.UnreadableFile as exc:
        raise ImportFailed([Problem(0, "", exc.message)]) from None
    except areas.AreaImportFailed as exc:
        raise ImportFailed([Problem(p.row, p.column, p.message) for p in exc.problems]) from None
    return ImportResult(
        kind="areas",
        rows=len(outcome.created) + len(outcome.renamed) + len(outcome.unchanged),
        created=len(outcome.created),
        updated=len(outcome.renamed),
        unchanged=len(outcome.unchanged),
    )


def _import_feed(actor: Any, kind: str, data: bytes, name: str) -> ImportResult:
    from fupin.feeds import services as feeds

    try:
        outcome = feeds.import_feed(actor, kind, data, name)
    except feeds.FeedImportFailed as exc:
        raise ImportFailed([Problem(p.row, p.column, p.message) for p in exc.problems]) from None
    return ImportResult(
        kind=kind,
        rows=outcome.rows,
        created=outcome.rows,
        extra={"linked": outcome.linked, "unlinked": outcome.unlinked},
        notes=[Problem(n.row, n.column, n.message, value=n.column) for n in outcome.notes],
    )
