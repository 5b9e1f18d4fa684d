"""Writes of benefits: opening a programme, entering and correcting applications, the engine's decisions,
approval by a second person, returns and refusals, bank accounts and evidence.

Every service checks the role and the capture area, reports every problem at once (``InvalidInput``,
nothing changed) and records an audit entry in which identifiers appear only masked.

Decisions are the engine's (``fupin.engine.benefits``), never a second implementation here. Approved
applications are the history every later decision counts against; the provisional decisions of those
waiting are recomputed, in date order, whenever one is entered, corrected, approved, returned or refused.
Each of these writes first takes the pack's ``Ledger`` row (an UPDATE, so the row lock on PostgreSQL and
the write lock on SQLite are held from the start): two approvers never both count the same room under a
cap, and nobody is approved twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.assistance.models import Measure, MeasureCategory, MeasureStatus
from fupin.audit import services as audit
from fupin.benefits import programmes as programme_info
from fupin.benefits.models import (
    Application,
    ApplicationStatus,
    BankAccount,
    Evidence,
    EvidenceKind,
    Ledger,
    Opening,
    OpeningStatus,
)
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, Message, NotPermitted, OutOfScope, Refused, add_error
from fupin.core.i18n import lazy_format
from fupin.domain import bankaccount, idnumber
from fupin.engine import benefits as engine
from fupin.engine.checker import CheckedPack
from fupin.engine.programmes import Programme
from fupin.entities import services as entities
from fupin.entities.models import Entity
from fupin.pii.crypto import get_cipher
from fupin.registry.choices import HouseholdType
from fupin.registry.models import Household, Member
from fupin.registry.services import require_capability, require_capture, versioned_update

MAX_AMOUNT = Decimal(100_000_000)  # yuan: no fact of a county's subsidy is larger
MAX_COUNT = 100_000
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
}
WAITING = (ApplicationStatus.ENTERED,)
COUNTING = (ApplicationStatus.APPROVED,)

BANK_PROBLEMS: dict[str, Message] = {
    "characters": _("A bank account number holds digits only."),
    "length": _("A bank account number has 9 to 30 digits."),
    "check": _("This card number fails its check digit: a digit was probably mistyped."),
}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "有", "对"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "无", "没有"}


# ---------------------------------------------------------------- opening a programme


def touches(actor: Any, county_path: str, mode: scope.ScopeMode = "view") -> bool:
    """Whether the actor's scope holds the county or a part of it (a village cadre's village)."""
    return any(
        county_path.startswith(path) or path.startswith(county_path)
        for path in scope.granted_paths(actor, mode)
    )


def open_programme(
    *, actor: Any, pack: str, programme: str, county: Area, year: int, public_notice: bool = True
) -> Opening:
    require_capability(actor, Capability.OPEN_PROGRAMMES)
    require_capture(actor, county.path)
    errors: Errors = {}
    try:
        checked = programme_info.checked(pack)
    except LookupError:
        raise InvalidInput({"pack": [_("There is no policy pack with this name.")]}) from None
    found = programme_info.programme(checked, programme)
    if found is None:
        add_error(errors, "programme", _("The policy pack has no such programme."))
    if county.level != AreaLevel.COUNTY:
        add_error(errors, "county", _("A programme is opened by a county."))
    if not 2000 <= year <= clock.today().year + 1:
        add_error(errors, "year", _("Give a year from 2000 to next year."))
    if found is not None and found.effective_to is not None and found.effective_to.year < year:
        add_error(errors, "year", _("The programme ends before this year."))
    if Opening.objects.filter(pack=pack, programme=programme, county=county, year=year).exists():
        add_error(errors, "year", _("The county has already opened this programme for this year."))
    if errors:
        raise InvalidInput(errors)
    opening = Opening.objects.create(
        pack=pack, programme=programme, county=county, year=year, public_notice=public_notice, opened_by=actor
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="opening",
        object_id=opening.pk,
        area_code=county.code,
        summary=f"opened {programme} for {year}",
        changes={"pack": pack, "programme": programme, "year": year},
    )
    return opening


def close_opening(*, actor: Any, opening: Opening) -> None:
    require_capability(actor, Capability.OPEN_PROGRAMMES)
    require_capture(actor, opening.county.path)
    Opening.objects.filter(pk=opening.pk).update(status=OpeningStatus.CLOSED)
    audit.record(
        actor=actor,
        action="update",
        object_type="opening",
        object_id=opening.pk,
        area_code=opening.county.code,
        summary=f"closed {opening.programme} {opening.year}",
        changes={"status": ["open", "closed"]},
    )


# ---------------------------------------------------------------- entering an application


@dataclass
class ApplicationInput:
    """What a form, an import row or an API call gives for one application (text as typed)."""

    applied_on: dt.date | None
    id_number: str = ""
    credit_code: str = ""
    entity_name: str = ""
    entity_kind: str = ""
    entity_area: Area | None = None
    post_code: str = ""
    period: dt.date | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    bank_name: str = ""
    bank_holder: str = ""
    bank_account: str = ""


def person_category(household: Household) -> str:
    """``monitored`` for a household under monitoring, else its type: what the rules call the person."""
    if household.monitoring_category:
        return "monitored"
    if household.household_type == HouseholdType.LIFTED_OUT:
        return "lifted_out"
    if household.household_type == HouseholdType.POOR:
        return "poor"
    return "ordinary"


def parse_fact(kind: str, raw: Any) -> tuple[Any, Message | None]:
    """A typed fact as it is stored (numbers as decimal strings, dates ISO), or why it is not valid."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, _("Required.")
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True, None
        if word in FALSE_WORDS:
            return False, None
        return None, _("Answer yes (是) or no (否).")
    if kind in ("number", "integer"):
        if isinstance(raw, bool):
            return None, _("Give a number.")
        try:
            value = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation:
            return None, _("Give a number.")
        if not value.is_finite():
            return None, _("Give a number.")
        if value < 0:
            return None, _("The value cannot be negative.")
        if kind == "integer":
            if value != value.to_integral_value():
                return None, _("Give a whole number.")
            if value > MAX_COUNT:
                return None, lazy_format(_("At most %(limit)s."), limit=f"{MAX_COUNT:,}")
            return int(value), None
        if value > MAX_AMOUNT:
            return None, lazy_format(_("At most %(limit)s."), limit=f"{MAX_AMOUNT:,}")
        if value.as_tuple().exponent < -2:  # type: ignore[operator]
            return None, _("At most two decimal places (fen).")
        return format(value, "f"), None
    if kind == "date":
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if isinstance(raw, dt.date):
            day = raw
        else:
            try:
                day = dt.date.fromisoformat(str(raw).strip())
            except ValueError:
                return None, _("Give a date as YYYY-MM-DD.")
        if day > clock.today():
            return None, _("The date cannot be in the future.")
        return day.isoformat(), None
    text = str(raw).strip()
    if len(text) > 100:
        return None, _("At most 100 characters, please.")
    return text, None


def _person(errors: Errors, raw: str) -> Member | None:
    if not raw.strip():
        add_error(errors, "id_number", _("Give the person's ID number."))
        return None
    try:
        number = idnumber.parse(raw).number
    except idnumber.IdNumberError:
        add_error(errors, "id_number", _("This is not a valid ID number."))
        return None
    digest = get_cipher().blind_index("id", number)
    member = (
        Member.objects.select_related("household__village")
        .filter(id_number_bidx=digest, exit_reason="")
        .first()
    )
    if member is None:
        add_error(errors, "id_number", _("Nobody in the registry has this ID number."))
    return member


def _bank_account_problem(data: ApplicationInput) -> dict[str, Message]:
    if not data.bank_account.strip():
        return {}
    problems: dict[str, Message] = {}
    try:
        bankaccount.parse(data.bank_account)
    except bankaccount.BankAccountError as exc:
        problems["bank_account"] = BANK_PROBLEMS[exc.code]
    if not data.bank_name.strip():
        problems["bank_name"] = _("Give the bank the account is held at.")
    if len(data.bank_name.strip()) > 100 or len(data.bank_holder.strip()) > 100:
        problems["bank_name"] = _("At most 100 characters, please.")
    return problems


@dataclass
class _Resolved:
    area: Area
    member: Member | None
    household: Household | None
    entity: Entity | None
    facts: dict[str, Any]


def _resolve(
    actor: Any,
    opening: Opening,
    programme: Programme,
    checked: CheckedPack,
    data: ApplicationInput,
    errors: Errors,
    *,
    register_entity: bool,
) -> _Resolved | None:
    """Check an application's input against its programme; the people and entity it names."""
    today = clock.today()
    if data.applied_on is None:
        add_error(errors, "applied_on", _("Give the date of the application."))
    elif data.applied_on > today:
        add_error(errors, "applied_on", _("The date cannot be in the future."))
    elif data.applied_on.year != opening.year:
        add_error(errors, "applied_on", lazy_format(_("The opening is for %(year)s."), year=opening.year))
    member = None
    if programme_info.needs_person(programme):
        member = _person(errors, data.id_number)
    entity = None
    if programme_info.needs_entity(programme):
        problem = entities.credit_code_problem(data.credit_code)
        if problem is not None:
            add_error(errors, "credit_code", problem)
        elif register_entity:
            try:
                entity = entities.find_or_register(
                    actor=actor,
                    credit_code=data.credit_code,
                    name=data.entity_name,
                    kind=data.entity_kind,
                    area=data.entity_area or _entity_area(actor, opening),
                )
            except InvalidInput as exc:
                for name, messages in exc.field_errors.items():
                    errors.setdefault(name, []).extend(messages)
        else:
            from fupin.domain import creditcode

            entity = Entity.objects.filter(credit_code=creditcode.parse(data.credit_code)).first()
    post_code = data.post_code.strip()
    if programme.applicant == "post":
        if not post_code:
            add_error(errors, "post_code", _("Give the post's number or name."))
        elif len(post_code) > 40:
            add_error(errors, "post_code", _("At most 40 characters, please."))
    if programme_info.needs_period(programme) and data.period is None:
        add_error(errors, "period", _("Give the month claimed."))
    if data.period is not None and data.period > today:
        add_error(errors, "period", _("The month cannot be in the future."))
    facts: dict[str, Any] = {}
    for fact in programme_info.facts_asked(checked, programme):
        value, problem = parse_fact(fact.kind, data.facts.get(fact.name))
        if problem is not None:
            add_error(errors, fact.name, problem)
        else:
            facts[fact.name] = value
    for name, problem in _bank_account_problem(data).items():
        add_error(errors, name, problem)
    if errors:
        return None
    household = member.household if member is not None else None
    if household is not None:
        facts["person_category"] = person_category(household)
    if programme.applicant in ("person", "post", "household"):
        assert household is not None
        area = household.village
    elif entity is not None:
        area = entity.area
    else:
        area = opening.county
    if not area.path.startswith(opening.county.path):
        where = "id_number" if programme.applicant in ("person", "post", "household") else "credit_code"
        add_error(errors, where, lazy_format(_("This is outside %(county)s."), county=opening.county.name))
        return None
    if not scope.area_in_scope(actor, area.path, "capture"):
        raise OutOfScope()
    return _Resolved(area=area, member=member, household=household, entity=entity, facts=facts)


def _entity_area(actor: Any, opening: Opening) -> Area:
    """Where a new entity is registered when the input does not say (an Excel row, an API call): the
    county when the actor keeps its records, else the one area of the county the actor keeps records for
    (a township clerk's enterprise is the township's, so the clerk can enter its application)."""
    paths = scope.granted_paths(actor, "capture")
    county = opening.county
    if any(county.path.startswith(p) for p in paths):
        return county
    inside = [p for p in paths if p.startswith(county.path)]
    if len(inside) == 1:
        return Area.objects.get(path=inside[0])
    return county


def _opening_for_entry(actor: Any, opening: Opening) -> tuple[CheckedPack, Programme]:
    require_capability(actor, Capability.ENTER_APPLICATIONS)
    if not touches(actor, opening.county.path, "capture"):
        raise OutOfScope()
    if opening.status != OpeningStatus.OPEN:
        raise Refused(_("This programme is closed for applications."))
    checked = programme_info.checked(opening.pack)
    programme = programme_info.programme(checked, opening.programme)
    if programme is None:
        raise Refused(_("The policy pack no longer has this programme."))
    return checked, programme


def enter_application(*, actor: Any, opening: Opening, data: ApplicationInput) -> Application:
    """Enter one application; its provisional decision is computed at once."""
    applications = enter_applications(actor=actor, opening=opening, rows=[data])
    return applications[0]


def enter_applications(
    *, actor: Any, opening: Opening, rows: Sequence[ApplicationInput]
) -> list[Application]:
    """Enter several applications all or none (an import); errors are keyed ``row N: field``."""
    checked, programme = _opening_for_entry(actor, opening)
    errors: Errors = {}
    resolved: list[_Resolved] = []
    with transaction.atomic():
        for number, data in enumerate(rows, start=1):
            row_errors: Errors = {}
            result = _resolve(actor, opening, programme, checked, data, row_errors, register_entity=True)
            prefix = "" if len(rows) == 1 else f"{number}:"
            for name, messages in row_errors.items():
                errors.setdefault(f"{prefix}{name}", []).extend(messages)
            if result is not None:
                resolved.append(result)
        if errors:
            transaction.set_rollback(True)
            raise InvalidInput(errors)
        _lock(opening.pack)
        created = []
        for data, result in zip(rows, resolved, strict=True):
            assert data.applied_on is not None  # checked by _resolve
            application = Application.objects.create(
                opening=opening,
                programme=opening.programme,
                area=result.area,
                county_code=opening.county.code,
                member=result.member,
                household=result.household,
                entity=result.entity,
                post_code=data.post_code.strip(),
                applied_on=data.applied_on,
                period=data.period.replace(day=1) if data.period else None,
                facts=result.facts,
                entered_by=actor,
            )
            if data.bank_account.strip():
                _set_bank_account(actor, result, data)
            audit.record(
                actor=actor,
                action="create",
                object_type="benefit_application",
                object_id=application.pk,
                area_code=result.area.code,
                summary=f"entered {opening.programme} application",
                changes={"programme": opening.programme, "facts": result.facts},
            )
            created.append(application)
        recompute(opening.pack, [opening.programme])
    for application in created:
        application.refresh_from_db()
    return created


def correct_application(
    *, actor: Any, application: Application, version: int, data: ApplicationInput
) -> None:
    """A clerk corrects a waiting or returned application; it waits for approval again."""
    opening = application.opening
    checked, programme = _opening_for_entry(actor, opening)
    if not scope.area_in_scope(actor, application.area.path, "capture"):
        raise OutOfScope()
    if application.status not in (ApplicationStatus.ENTERED, ApplicationStatus.RETURNED):
        raise Refused(_("Only an application that waits for approval or was returned can be corrected."))
    errors: Errors = {}
    with transaction.atomic():
        result = _resolve(actor, opening, programme, checked, data, errors, register_entity=True)
        if errors or result is None:
            transaction.set_rollback(True)
            raise InvalidInput(errors or {"__all__": [_("Some values are not valid. Nothing was saved.")]})
        _lock(opening.pack)
        before = {"facts": application.facts, "status": application.status}
        versioned_update(
            Application,
            application.pk,
            version,
            {
                "area": result.area,
                "member": result.member,
                "household": result.household,
                "entity": result.entity,
                "post_code": data.post_code.strip(),
                "applied_on": data.applied_on,
                "period": data.period.replace(day=1) if data.period else None,
                "facts": result.facts,
                "status": ApplicationStatus.ENTERED,
                "entered_by": actor,
                "decision_note": "",
            },
        )
        if data.bank_account.strip():
            _set_bank_account(actor, result, data)
        audit.record(
            actor=actor,
            action="update",
            object_type="benefit_application",
            object_id=application.pk,
            area_code=result.area.code,
            summary="corrected benefit application",
            changes={"facts": [before["facts"], result.facts], "status": [before["status"], "entered"]},
        )
        recompute(opening.pack, [opening.programme])


# ---------------------------------------------------------------- decisions


def _lock(pack: str) -> None:
    """Take the pack's ledger row for the rest of the transaction (created on first use)."""
    if not Ledger.objects.filter(pack=pack).update(approvals=F("approvals") + 1):
        Ledger.objects.get_or_create(pack=pack)
        Ledger.objects.filter(pack=pack).update(approvals=F("approvals") + 1)


def group_of(checked: CheckedPack, programme_ids: Iterable[str]) -> list[str]:
    """The programmes whose decisions depend on each other: the same programme, or one once-only group."""
    wanted = set(programme_ids)
    groups = {p.once_per_person for p in checked.pack.programmes if p.id in wanted and p.once_per_person}
    for programme in checked.pack.programmes:
        if programme.once_per_person and programme.once_per_person in groups:
            wanted.add(programme.id)
    return sorted(wanted)


def _engine_row(application: Application, post_ids: dict[str, int]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "application_id": application.pk,
        "programme": application.programme,
        "applied_on": application.applied_on,
        "county_code": application.county_code,
        "person_id": application.member_id,
        "household_id": application.household_id,
        "entity_id": application.entity_id,
        "post_id": post_ids.setdefault(application.post_code, len(post_ids) + 1)
        if application.post_code
        else None,
        "period": application.period,
    }
    for name, value in (application.facts or {}).items():
        row[name] = value
    return row


def _typed(checked: CheckedPack, rows: list[dict[str, Any]]) -> pa.Table:
    columns = engine.application_columns(checked)
    arrays = {}
    for name, column in columns.items():
        values = []
        for row in rows:
            value = row.get(name)
            if value is not None and column.kind == "number":
                value = float(value)
            elif value is not None and column.kind == "date" and isinstance(value, str):
                value = dt.date.fromisoformat(value)
            values.append(value)
        arrays[name] = pa.array(values, column.arrow)
    return pa.table(arrays)


def _history(applications: Iterable[Application]) -> pa.Table:
    rows = [
        {
            "application_id": a.pk,
            "programme": a.programme,
            "applied_on": a.applied_on,
            "county_code": a.county_code,
            "person_id": a.member_id,
            "entity_id": a.entity_id,
            "period": a.period,
            "amount": a.amount_fen or 0,
            "counted_amount": a.counted_amount_fen or 0,
            "counted": a.holds_place,
            "month_counted": a.month_counted,
        }
        for a in applications
    ]
    schema = pa.schema([pa.field(n, c.arrow) for n, c in engine.HISTORY.items()])
    return pa.Table.from_pylist(rows, schema=schema)


def recompute(pack: str, programme_ids: Iterable[str]) -> int:
    """The provisional decisions of every waiting application of these programmes (and of their once-only
    group), counted after every approved one. The caller holds the pack's ledger lock."""
    checked = programme_info.checked(pack)
    group = group_of(checked, programme_ids)
    related = Application.objects.filter(opening__pack=pack, programme__in=group)
    waiting = list(related.filter(status__in=WAITING).order_by("applied_on", "id"))
    if not waiting:
        return 0
    history = _history(related.filter(status__in=COUNTING))
    post_ids: dict[str, int] = {}
    table = _typed(checked, [_engine_row(a, post_ids) for a in waiting])
    result = engine.compute(checked, table, history=history)
    by_id = {row["application_id"]: row for row in result.rows()}
    now = timezone.now()
    for application in waiting:
        _store(checked, application, by_id[application.pk], now)
    Application.objects.bulk_update(
        waiting,
        [
            "eligible",
            "refusal_code",
            "refusal_detail",
            "base_fen",
            "amount_fen",
            "counted_amount_fen",
            "holds_place",
            "month_counted",
            "explanation",
            "computed_at",
        ],
        batch_size=500,
    )
    return len(waiting)


def _store(checked: CheckedPack, application: Application, row: Mapping[str, Any], now: dt.datetime) -> None:
    facts = {**(application.facts or {}), "applied_on": application.applied_on, "period": application.period}
    application.eligible = bool(row["eligible"])
    application.refusal_code = row["refusal"] or ""
    application.refusal_detail = str(row["refusal_detail"] or "")[:100]
    application.base_fen = row["base"]
    application.amount_fen = row["amount"] if row["eligible"] else 0
    application.counted_amount_fen = row["counted_amount"] or 0
    application.holds_place = bool(row["counted"])
    application.month_counted = bool(row["month_counted"])
    application.explanation = {
        language: engine.explain(checked, row, language, facts) for language in ("zh", "en")
    }
    application.computed_at = now


@dataclass
class BatchResult:
    approved: list[Application]
    skipped: dict[int, Message]  # application id → why it was not approved

    @property
    def total_fen(self) -> int:
        return sum(a.amount_fen or 0 for a in self.approved)


def approve(*, actor: Any, application_ids: Sequence[int], note: str = "") -> BatchResult:
    """Approve applications in one batch: each gets the amount the rules allow at this moment, after
    every application approved before; one that cannot be approved is left as it was, with the reason."""
    require_capability(actor, Capability.APPROVE_APPLICATIONS)
    ids = sorted(set(application_ids))
    if not ids:
        raise InvalidInput({"applications": [_("Choose the applications to approve.")]})
    note = note.strip()[:300]
    skipped: dict[int, Message] = {}
    approved: list[Application] = []
    packs = sorted(set(Application.objects.filter(pk__in=ids).values_list("opening__pack", flat=True)))
    with transaction.atomic():
        for pack in packs:
            _lock(pack)
        chosen = {
            a.pk: a
            for a in scope.scoped(Application.objects.filter(pk__in=ids), actor, "capture")
            .select_related("opening", "area")
            .select_for_update(of=("self",))
        }
        for pk in ids:
            if pk not in chosen:
                skipped[pk] = _("Not found in your area.")
        for application in chosen.values():
            if application.status != ApplicationStatus.ENTERED:
                skipped[application.pk] = lazy_format(
                    _("It is %(status)s, not waiting for approval."),
                    status=ApplicationStatus(application.status).label,
                )
            elif application.entered_by_id == actor.pk:
                skipped[application.pk] = _("You entered it yourself: another person must approve it.")
        by_pack: dict[str, list[str]] = {}
        for application in chosen.values():
            by_pack.setdefault(application.opening.pack, []).append(application.programme)
        for pack, programme_ids in by_pack.items():
            recompute(pack, programme_ids)
        now = timezone.now()
        fresh = Application.objects.in_bulk([pk for pk in chosen if pk not in skipped])
        for pk, application in sorted(fresh.items()):
            if not application.eligible:
                skipped[pk] = lazy_format(
                    _("The rules refuse it: %(reason)s"),
                    reason=" ".join(application.explanation.get(programme_info.language(), [])),
                )
                continue
            Application.objects.filter(pk=pk).update(
                status=ApplicationStatus.APPROVED,
                decided_by=actor,
                decided_at=now,
                decision_note=note,
                version=F("version") + 1,
            )
            application.status = ApplicationStatus.APPROVED
            approved.append(application)
            audit.record(
                actor=actor,
                action="update",
                object_type="benefit_application",
                object_id=pk,
                area_code=application.area.code,
                summary=f"approved {application.programme} application",
                changes={"status": ["entered", "approved"], "amount_fen": application.amount_fen},
            )
        # The decisions above came from one run over everything waiting, in date order; approving a
        # part of it can only leave more room under each cap, never less. What still waits is
        # recomputed after the approved ones, which now count first.
        for pack, programme_ids in by_pack.items():
            recompute(pack, programme_ids)
    return BatchResult(approved=approved, skipped=skipped)


def _decide(actor: Any, application: Application, status: str, reason: str, verb: str) -> None:
    require_capability(actor, Capability.APPROVE_APPLICATIONS)
    if not scope.area_in_scope(actor, application.area.path, "capture"):
        raise OutOfScope()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("Say why, so the clerk and the applicant know.")]})
    if len(reason) > 300:
        raise InvalidInput({"reason": [_("At most 300 characters, please.")]})
    with transaction.atomic():
        _lock(application.opening.pack)
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.status != ApplicationStatus.ENTERED:
            raise Refused(_("Only an application that waits for approval can be returned or refused."))
        if current.entered_by_id == actor.pk:
            raise NotPermitted(_("You entered it yourself: another person must decide on it."))
        Application.objects.filter(pk=current.pk).update(
            status=status,
            decided_by=actor,
            decided_at=timezone.now(),
            decision_note=reason,
            version=F("version") + 1,
        )
        audit.record(
            actor=actor,
            action="update",
            object_type="benefit_application",
            object_id=current.pk,
            area_code=application.area.code,
            summary=f"{verb} {current.programme} application",
            changes={"status": ["entered", status], "reason": reason},
        )
        recompute(application.opening.pack, [application.programme])


def return_application(*, actor: Any, application: Application, reason: str) -> None:
    """Back to the clerk for correction, with what to correct."""
    _decide(actor, application, ApplicationStatus.RETURNED, reason, "returned")


def refuse_application(*, actor: Any, application: Application, reason: str) -> None:
    """Refused for good, with the reason the applicant is told."""
    _decide(actor, application, ApplicationStatus.REFUSED, reason, "refused")


# ---------------------------------------------------------------- payments' part


def record_payment(*, application_id: int, paid_fen: int, paid_on: dt.date | None) -> None:
    """Called by the payments app when the bank confirms (or, with 0 and None, reverses) a payment.

    A benefit paid to a person or a household appears in the household's assistance plan as a done
    measure of the programme's kind; a reversal stops that measure with the reason.
    """
    application = (
        Application.objects.select_related("opening__county", "household__village", "plan_measure")
        .filter(pk=application_id, status=ApplicationStatus.APPROVED)
        .first()
    )
    if application is None:
        return
    Application.objects.filter(pk=application.pk).update(paid_fen=paid_fen, paid_on=paid_on)
    checked = programme_info.checked(application.opening.pack)
    programme = programme_info.programme(checked, application.programme)
    if programme is None or application.household is None or programme.applicant in ("entity", "enterprise"):
        return
    measure = application.plan_measure
    if paid_fen and paid_on is not None:
        values = {
            "category": programme.measure or MeasureCategory.SOCIAL,
            "description": f"{programme_info.title(programme)}（{application.opening.year}）"[:300],
            "responsible": application.opening.county.name[:100],
            "amount": Decimal(paid_fen) / 100,
            "status": MeasureStatus.DONE,
            "started_on": paid_on,
            "ended_on": paid_on,
            "stop_reason": "",
        }
        if measure is None:
            measure = Measure.objects.create(household=application.household, **values)
            Application.objects.filter(pk=application.pk).update(plan_measure=measure)
        else:
            Measure.objects.filter(pk=measure.pk).update(**values, version=F("version") + 1)
    elif measure is not None:
        Measure.objects.filter(pk=measure.pk).update(
            status=MeasureStatus.STOPPED,
            stop_reason="补贴发放已冲正 (payment reversed)",
            version=F("version") + 1,
        )


# ---------------------------------------------------------------- bank accounts


def _set_bank_account(actor: Any, resolved: _Resolved, data: ApplicationInput) -> BankAccount:
    holder: dict[str, Any]
    if resolved.entity is not None:
        holder = {"entity": resolved.entity}
        default_name = resolved.entity.name
    else:
        holder = {"member": resolved.member}
        default_name = resolved.member.name if resolved.member else ""
    return set_bank_account(
        actor=actor,
        bank_name=data.bank_name,
        holder_name=data.bank_holder or default_name,
        number=data.bank_account,
        area_code=resolved.area.code,
        **holder,
    )


def set_bank_account(
    *,
    actor: Any,
    bank_name: str,
    holder_name: str,
    number: str,
    area_code: str,
    member: Member | None = None,
    entity: Entity | None = None,
) -> BankAccount:
    """The account benefits are paid to from now on; the one before is kept, not current."""
    try:
        digits = bankaccount.parse(number)
    except bankaccount.BankAccountError as exc:
        raise InvalidInput({"bank_account": [BANK_PROBLEMS[exc.code]]}) from None
    holder: dict[str, Any] = {"member": member} if member is not None else {"entity": entity}
    current = BankAccount.objects.filter(current=True, **holder).first()
    cipher = get_cipher()
    if (
        current is not None
        and cipher.decrypt(current.number_enc) == digits
        and current.bank_name == bank_name.strip()
    ):
        return current
    BankAccount.objects.filter(current=True, **holder).update(current=False)
    account = BankAccount.objects.create(
        bank_name=bank_name.strip(),
        holder_name=holder_name.strip()[:100],
        number_enc=cipher.encrypt(digits),
        number_masked=bankaccount.mask(digits),
        recorded_by=actor,
        **holder,
    )
    audit.record(
        actor=actor,
        action="update",
        object_type="bank_account",
        object_id=account.pk,
        area_code=area_code,
        summary="recorded bank account",
        changes={"bank": account.bank_name, "account": account.number_masked},
    )
    return account


def current_account(*, member: Member | None = None, entity: Entity | None = None) -> BankAccount | None:
    holder: dict[str, Any] = {"member": member} if member is not None else {"entity": entity}
    return BankAccount.objects.filter(current=True, **holder).first()


def reveal_bank_account(*, actor: Any, application: Application) -> str:
    """The full account number of an application's payee, for a role that may see it; audited."""
    require_capability(actor, Capability.REVEAL_PII)
    if not scope.area_in_scope(actor, application.area.path, "view"):
        raise OutOfScope()
    account = payee_account(application)
    if account is None:
        return ""
    audit.record(
        actor=actor,
        action="reveal",
        object_type="bank_account",
        object_id=account.pk,
        area_code=application.area.code,
        summary="revealed bank account",
        changes={"field": "bank_account"},
    )
    return get_cipher().decrypt(account.number_enc)


def payee_account(application: Application) -> BankAccount | None:
    if application.entity_id is not None and _pays_entity(application):
        return current_account(entity=application.entity)
    if application.member_id is not None:
        return current_account(member=application.member)
    return None


def _pays_entity(application: Application) -> bool:
    checked = programme_info.checked(application.opening.pack)
    programme = programme_info.programme(checked, application.programme)
    return programme is not None and programme.applicant in ("entity", "enterprise")


# ---------------------------------------------------------------- evidence


def attach_evidence(*, actor: Any, application: Application, kind: str, upload: File) -> Evidence:
    """A contract, wage record, ticket or invoice: a PDF, JPEG or PNG by its content, at most 10 MB."""
    require_capability(actor, Capability.ENTER_APPLICATIONS)
    if not scope.area_in_scope(actor, application.area.path, "capture"):
        raise OutOfScope()
    errors: Errors = {}
    if kind not in EvidenceKind.values:
        add_error(errors, "kind", _("Choose what the document is."))
    size = int(getattr(upload, "size", 0) or 0)
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    found = next((v for magic, v in EVIDENCE_TYPES.items() if bytes(head).startswith(magic)), None)
    if found is None:
        add_error(errors, "file", _("Attach a PDF, a JPEG or a PNG file."))
    if size > EVIDENCE_MAX_BYTES:
        add_error(errors, "file", _("The file is larger than 10 MB."))
    elif size == 0:
        add_error(errors, "file", _("The file is empty."))
    if errors:
        raise InvalidInput(errors)
    assert found is not None
    content_type, extension = found
    digest = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    name = default_storage.save(f"benefits/{application.pk}/{uuid.uuid4().hex}.{extension}", upload)
    evidence = Evidence.objects.create(
        application=application,
        kind=kind,
        file=name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        original_name=str(getattr(upload, "name", ""))[-200:],
        uploaded_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="benefit_evidence",
        object_id=evidence.pk,
        area_code=application.area.code,
        summary=f"attached {kind} to application {application.pk}",
        changes={"kind": kind, "size": size},
    )
    return evidence


__all__ = [
    "ApplicationInput",
    "BatchResult",
    "approve",
    "attach_evidence",
    "correct_application",
    "enter_application",
    "enter_applications",
    "open_programme",
    "recompute",
    "refuse_application",
    "return_application",
    "reveal_bank_account",
    "set_bank_account",
]
