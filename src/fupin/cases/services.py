"""The monitoring procedure's writes: open cases from every channel and move them step by step.

Every step is checked against ``workflow`` (who, at which step, not their own proposal), against the
area scope (capture), and against the dated rules of the policy pack (notice period, gates); a refused
step raises with a reason and changes nothing. Every step appends a ``CaseEvent`` and an audit entry
and tells the next actor. Day counting is described in docs/workflow.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.cases import notify, sms, workflow
from fupin.cases.gates import Gate, elimination_gates
from fupin.cases.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseKind,
    Channel,
    Declaration,
    DeclarationStatus,
    EliminationKind,
    FastTrackReason,
    Objection,
    State,
    VillageNotice,
)
from fupin.cases.rules import ProcedureRules, rules_for
from fupin.core import clock
from fupin.core.errors import InvalidInput, Message, NotPermitted, OutOfScope, Refused
from fupin.core.i18n import in_language, lazy_format, lazy_join, stored_text
from fupin.domain import phone as phone_rules
from fupin.pii.crypto import get_cipher
from fupin.registry.choices import MAX_RISK_TYPES, MonitoringCategory, RiskType
from fupin.registry.models import Household
from fupin.registry.services import change_monitoring
from fupin.screening.models import ClueStatus, RiskClue, ScreeningRun

Errors = dict[str, list[Message]]

# Self-declaration limits against abuse (per client per hour, per phone per day, code guesses).
DECLARATIONS_PER_CLIENT_HOUR = 5
DECLARATIONS_PER_PHONE_DAY = 3
CODE_ATTEMPTS = 5
CODE_VALID_MINUTES = 30


# ---------------------------------------------------------------- helpers


def _rules(household: Household, on: dt.date) -> ProcedureRules:
    return rules_for(household.village.code[:6], on)


def _pack_risks(codes: list[str]) -> str:
    unique = list(dict.fromkeys(codes))
    return "," + ",".join(unique) + "," if unique else ""


def _check_category_and_risks(category: str, risk_types: list[str], errors: Errors) -> None:
    if category not in MonitoringCategory.values:
        errors.setdefault("category", []).append(_("Choose a monitoring category."))
    unique = list(dict.fromkeys(risk_types))
    if not unique:
        errors.setdefault("risk_types", []).append(_("Choose at least one risk type."))
    elif any(code not in RiskType.values for code in unique):
        errors.setdefault("risk_types", []).append(_("Unknown risk type."))
    elif len(unique) > MAX_RISK_TYPES:
        errors.setdefault("risk_types", []).append(_("At most five risk types may be recorded."))


def _check_day(name: str, day: dt.date | None, not_before: dt.date | None, errors: Errors) -> None:
    if day is None:
        errors.setdefault(name, []).append(_("Give the date."))
        return
    if day > clock.today():
        errors.setdefault(name, []).append(_("The date cannot be in the future."))
    elif not_before is not None and day < not_before:
        errors.setdefault(name, []).append(
            lazy_format(
                _("The date cannot be before the previous step (%(day)s)."), day=not_before.isoformat()
            )
        )


def _require_text(name: str, value: str, errors: Errors, message: Message) -> None:
    if not value.strip():
        errors.setdefault(name, []).append(message)


def _locked_case(actor: Any, case: Case | int) -> Case:
    """The case, locked for this transaction, if it is in the actor's capture scope."""
    pk = case.pk if isinstance(case, Case) else case
    found = scope.scoped(Case.objects.select_for_update(of=("self",)), actor, "capture").filter(pk=pk).first()
    if found is None:
        if scope.scoped(Case.objects.all(), actor, "view").filter(pk=pk).exists():
            raise NotPermitted(
                _("You may read this case but not act on it: it is outside your capture area.")
            )
        raise OutOfScope()
    return Case.objects.select_related("household__village", "notice").get(pk=found.pk)


def _allow(actor: Any, case: Case, action: str) -> None:
    reason = workflow.refusal(actor, case, action)
    if reason is not None:
        raise Refused(reason)


def _event(
    case: Case,
    action: str,
    actor: Any,
    *,
    from_state: str,
    on: dt.date,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        action=action,
        from_state=from_state,
        to_state=case.state,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "system",
        on=on,
        reason=reason[:500],
        details=details or {},
    )
    if from_state and from_state != case.state:
        notify.step_taken(case)
    audit.record(
        actor=actor,
        action=f"case.{action}",
        object_type="case",
        object_id=case.pk,
        area_code=case.household.village.code,
        summary=f"household {case.household.number}: {action}",
        changes={"state": [from_state, case.state], **({"reason": reason} if reason else {})},
    )
    return event


def _save(case: Case, *fields: str) -> None:
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


def _close_clue(case: Case) -> None:
    if case.clue_id:
        RiskClue.objects.filter(pk=case.clue_id).update(status=ClueStatus.CLOSED)


def _history_reason(message: Message, case: Case, **values: object) -> str:
    """The reason written into the household's monitoring history: data read later by anyone, so in the
    installation's language, like everything people type."""
    return stored_text(lazy_format(message, case=case.pk, **values))[:200]


def _end_unconfirmed_inclusion(case: Case, actor: Any, on: dt.date, why: str) -> None:
    """A fast-tracked household whose case ends without approval stops being monitored; the record stays."""
    household = Household.objects.select_related("village").get(pk=case.household_id)
    if case.kind == CaseKind.IDENTIFICATION and case.fast_tracked_on and household.monitoring_category:
        change_monitoring(
            actor=actor,
            household=household,
            expected_version=household.version,
            category="",
            risk_types=[],
            effective_from=max(on, case.fast_tracked_on),
            reason=_history_reason(_("Inclusion not confirmed (case %(case)s): %(why)s"), case, why=why),
        )


def _end_at_village(case: Case, actor: Any, on: dt.date, why: str) -> None:
    """The village step found no case to make (visit, appraisal or an upheld objection)."""
    case.state = State.CLOSED
    case.outcome_reason = why.strip()[:500]
    _close_clue(case)
    _end_unconfirmed_inclusion(case, actor, on, why.strip())


def _ensure_no_open_case(household: Household) -> None:
    if Case.objects.filter(household=household, state__in=OPEN_STATES).exists():
        raise Refused(_("The household already has a case under way; continue that one."))


# ---------------------------------------------------------------- opening cases


def _new_case(
    household: Household, *, kind: str, channel: str, on: dt.date, clue: RiskClue | None = None
) -> Case:
    rules = _rules(household, on)
    return Case(
        household=household,
        clue=clue,
        kind=kind,
        channel=channel,
        state=State.VISIT,
        opened_on=on,
        decision_due=on + dt.timedelta(days=rules.decision_days),
        step_due=on + dt.timedelta(days=rules.visit_days),
        proposed_category=clue.suggested_category if clue else "",
        proposed_risk_types=clue.risk_types if clue else "",
    )


def open_cases_for_run(run: ScreeningRun) -> int:
    """A case for each new clue of a screening run, unless the household is monitored or has a case.

    Clues on households already monitored stay open without a case: the follow-up visit reads them.
    """
    clues = list(
        RiskClue.objects.filter(run=run, status=ClueStatus.OPEN, case__isnull=True).select_related(
            "household__village"
        )
    )
    busy = set(
        Case.objects.filter(
            household_id__in=[c.household_id for c in clues], state__in=OPEN_STATES
        ).values_list("household_id", flat=True)
    )
    on = run.as_of
    cases = [
        _new_case(clue.household, kind=CaseKind.IDENTIFICATION, channel=Channel.SCREENING, on=on, clue=clue)
        for clue in clues
        if not clue.household.monitoring_category and clue.household_id not in busy
    ]
    Case.objects.bulk_create(cases, batch_size=2000)
    created = list(Case.objects.filter(clue__run=run).select_related("household__village"))
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(case=c, action="open", to_state=State.VISIT, actor=None, actor_name="system", on=on)
            for c in created
        ],
        batch_size=2000,
    )
    per_village = Counter(c.household.village_id for c in created)
    villages = {c.household.village_id: c.household.village for c in created}
    for village_id, count in per_village.items():
        notify.clues_waiting(villages[village_id], count)
    return len(created)


def _clue_and_case(
    *,
    actor: Any,
    household: Household,
    channel: str,
    category: str,
    risk_types: list[str],
    description: str,
    no_description: Message,
    on: dt.date,
) -> Case:
    """Check what a channel reports, then open its clue (source = the channel) and the case."""
    errors: Errors = {}
    _check_category_and_risks(category, risk_types, errors)
    _require_text("description", description, errors, no_description)
    if errors:
        raise InvalidInput(errors)
    _ensure_no_open_case(household)
    if household.monitoring_category:
        raise Refused(_("The household is already a monitoring object; record a follow-up visit instead."))
    clue = RiskClue.objects.create(
        household=household,
        source=channel,
        rule_ids=[],
        suggested_category=category,
        risk_types=_pack_risks(risk_types),
        explanation=[
            {
                "rule_id": channel,
                "severity": "info",
                "category": "",
                # No rule: the channel it came through is its title, as a rule's title is for a run's clue.
                "title_zh": in_language(Channel(channel).label, "zh-hans"),
                "title_en": in_language(Channel(channel).label, "en"),
                "zh": description,
                "en": description,
                "values": {},
            }
        ],
    )
    case = _new_case(household, kind=CaseKind.IDENTIFICATION, channel=channel, on=on, clue=clue)
    case.save()
    _event(case, "open", actor, from_state="", on=on, reason=description, details={"channel": channel})
    notify.step_waiting(case)
    return case


@transaction.atomic
def raise_clue(
    *, actor: Any, household: Household, category: str, risk_types: list[str], description: str
) -> Case:
    """A cadre found a household at risk on a visit (discovery channel 2)."""
    if not actor.can(Capability.RAISE_CLUE):
        raise NotPermitted(_("Your role does not raise risk clues."))
    if not scope.area_in_scope(actor, household.village.path, "capture"):
        raise OutOfScope()
    return _clue_and_case(
        actor=actor,
        household=household,
        channel=Channel.VISIT,
        category=category,
        risk_types=risk_types,
        description=description.strip(),
        no_description=_("Say what you found."),
        on=clock.today(),
    )


@transaction.atomic
def refer(
    *, actor: Any, household_number: str, category: str, risk_types: list[str], description: str
) -> Case:
    """A department refers a household it found in difficulty (discovery channel 3, by the API)."""
    if not actor.can(Capability.REFER_CASE):
        raise NotPermitted(_("Your role does not refer households."))
    households = scope.scoped(Household.objects.select_related("village"), actor, "view")
    household = households.filter(number=household_number.strip()).first()
    if household is None:
        raise OutOfScope()
    return _clue_and_case(
        actor=actor,
        household=household,
        channel=Channel.DEPARTMENT,
        category=category,
        risk_types=risk_types,
        description=description.strip(),
        no_description=_("Say what the department found."),
        on=clock.today(),
    )


@transaction.atomic
def propose_elimination(*, actor: Any, household: Household, reason: str) -> Case:
    """Start the risk-elimination procedure for a monitored household (same steps as identification)."""
    if not actor.can(Capability.VILLAGE_STEPS):
        raise NotPermitted(_("Your role does not take the village steps."))
    if not scope.area_in_scope(actor, household.village.path, "capture"):
        raise OutOfScope()
    if not household.monitoring_category:
        raise Refused(_("Only a monitoring object can have its risk eliminated."))
    _ensure_no_open_case(household)
    errors: Errors = {}
    _require_text("reason", reason, errors, _("Say why the risk is gone."))
    if errors:
        raise InvalidInput(errors)
    on = clock.today()
    case = _new_case(household, kind=CaseKind.ELIMINATION, channel=Channel.MONITORING, on=on)
    case.proposed_category = household.monitoring_category
    case.proposed_risk_types = household.risk_types
    case.save()
    _event(case, "open", actor, from_state="", on=on, reason=reason.strip())
    notify.step_waiting(case)
    return case


# ---------------------------------------------------------------- self-declaration (public page)


def _hash(text: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{text}".encode()).hexdigest()


def client_fingerprint(address: str) -> str:
    """What rate limits count by: a keyed hash of the client address (the address itself is not kept)."""
    return _hash(f"client:{address}")


@transaction.atomic
def declare(
    *, village_code: str, name: str, phone: str, difficulty: str, description: str, client: str
) -> Declaration:
    """Record a self-declaration and send a confirmation code to the phone given."""
    errors: Errors = {}
    village = Area.objects.filter(code=village_code, level=AreaLevel.VILLAGE).first()
    if village is None:
        errors.setdefault("village", []).append(_("Choose your village."))
    _require_text("name", name, errors, _("Give the name of the person declaring."))
    if len(name.strip()) > 50:
        errors.setdefault("name", []).append(_("A name has at most 50 characters."))
    number = ""
    try:
        number = phone_rules.parse(phone)
    except phone_rules.PhoneError:
        errors.setdefault("phone", []).append(_("Give a mobile number of 11 digits starting with 1."))
    if number and not number.startswith("1"):
        errors.setdefault("phone", []).append(_("Give a mobile number of 11 digits starting with 1."))
    if difficulty not in RiskType.values:
        errors.setdefault("difficulty", []).append(_("Choose what kind of difficulty it is."))
    _require_text("description", description, errors, _("Say briefly what happened."))
    if len(description) > 2000:
        errors.setdefault("description", []).append(_("Please keep it under 2,000 characters."))
    if errors:
        raise InvalidInput(errors)
    assert village is not None
    cipher = get_cipher()
    bidx = cipher.blind_index("phone", number)
    now = timezone.now()
    if Declaration.objects.filter(
        client_hash=client, created_at__gte=now - dt.timedelta(hours=1)
    ).count() >= (DECLARATIONS_PER_CLIENT_HOUR):
        raise Refused(_("Too many declarations from this device in the last hour. Please try again later."))
    if Declaration.objects.filter(phone_bidx=bidx, created_at__gte=now - dt.timedelta(days=1)).count() >= (
        DECLARATIONS_PER_PHONE_DAY
    ):
        raise Refused(_("Too many declarations for this phone today. Your village cadre can help you."))
    code = f"{secrets.randbelow(1_000_000):06d}"
    declaration = Declaration.objects.create(
        village=village,
        name=name.strip(),
        phone_enc=cipher.encrypt(number),
        phone_bidx=bidx,
        phone_masked=phone_rules.mask(number),
        difficulty=difficulty,
        description=description.strip(),
        code_hash=_hash(f"code:{code}"),
        client_hash=client,
    )
    sms.queue(
        number, str(lazy_format(_("Your confirmation code is %(code)s (valid for 30 minutes)."), code=code))
    )
    return declaration


def confirm_declaration(*, declaration_id: int, code: str) -> Declaration:
    """Check the code sent by text; a confirmed declaration reaches the village cadres."""
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().filter(pk=declaration_id).first()
        if declaration is None or declaration.status != DeclarationStatus.UNCONFIRMED:
            raise Refused(_("This declaration is not waiting for a code."))
        if declaration.code_attempts >= CODE_ATTEMPTS:
            raise Refused(_("Too many wrong codes. Please declare again."))
        if timezone.now() - declaration.created_at > dt.timedelta(minutes=CODE_VALID_MINUTES):
            raise Refused(_("The code has expired. Please declare again."))
        right = secrets.compare_digest(declaration.code_hash, _hash(f"code:{code.strip()}"))
        if right:
            declaration.status = DeclarationStatus.NEW
            declaration.confirmed_at = timezone.now()
            declaration.save(update_fields=["status", "confirmed_at"])
            audit.record(
                actor=None,
                action="declaration.confirm",
                object_type="declaration",
                object_id=declaration.pk,
                area_code=declaration.village.code,
                summary=f"self-declaration in {declaration.village.code}",
            )
            notify.declaration_arrived(declaration)
        else:
            # The wrong guess is counted (and kept: this transaction commits) before refusing.
            declaration.code_attempts += 1
            declaration.save(update_fields=["code_attempts"])
    if not right:
        raise InvalidInput({"code": [_("The code is not right. Check the text message and try again.")]})
    return declaration


def _declaration_in_scope(actor: Any, declaration_id: int) -> Declaration:
    if not actor.can(Capability.RAISE_CLUE):
        raise NotPermitted(_("Your role does not handle self-declarations."))
    found = scope.scoped(Declaration.objects.select_for_update(of=("self",)), actor, "capture").filter(
        pk=declaration_id
    )
    declaration = found.first()
    if declaration is None:
        raise OutOfScope()
    if declaration.status != DeclarationStatus.NEW:
        raise Refused(_("This declaration was already handled."))
    return declaration


@transaction.atomic
def open_case_from_declaration(
    *, actor: Any, declaration_id: int, household: Household, category: str, risk_types: list[str]
) -> Case:
    """The cadre matched the declaration to a registered household: the case starts (channel 1)."""
    declaration = _declaration_in_scope(actor, declaration_id)
    if household.village_id != declaration.village_id:
        raise InvalidInput({"household": [_("Choose a household of the village the declaration came from.")]})
    case = _clue_and_case(
        actor=actor,
        household=household,
        channel=Channel.SELF_DECLARATION,
        category=category,
        risk_types=risk_types,
        description=declaration.description,
        no_description=_("Say briefly what happened."),
        on=declaration.created_at.astimezone(timezone.get_current_timezone()).date(),
    )
    declaration.status = DeclarationStatus.OPENED
    declaration.case = case
    declaration.handled_by = actor
    declaration.save(update_fields=["status", "case", "handled_by"])
    return case


@transaction.atomic
def dismiss_declaration(*, actor: Any, declaration_id: int, reason: str) -> Declaration:
    declaration = _declaration_in_scope(actor, declaration_id)
    errors: Errors = {}
    _require_text("reason", reason, errors, _("Say why the declaration needs no case."))
    if errors:
        raise InvalidInput(errors)
    declaration.status = DeclarationStatus.DISMISSED
    declaration.dismissed_reason = reason.strip()
    declaration.handled_by = actor
    declaration.save(update_fields=["status", "dismissed_reason", "handled_by"])
    audit.record(
        actor=actor,
        action="declaration.dismiss",
        object_type="declaration",
        object_id=declaration.pk,
        area_code=declaration.village.code,
        summary="self-declaration dismissed",
        changes={"reason": reason.strip()},
    )
    return declaration


# ---------------------------------------------------------------- village steps


AUTHORIZATION_TYPES = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}
AUTHORIZATION_MAX_BYTES = 10 * 1024 * 1024


def _file_type(upload: UploadedFile) -> str | None:
    """What the file is by its first bytes (a scan: PDF, JPEG or PNG), never by its name."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def _check_authorization_file(upload: UploadedFile, errors: Errors) -> None:
    if not upload.size or upload.size > AUTHORIZATION_MAX_BYTES:
        errors.setdefault("authorization", []).append(
            _("The signed authorization must be a file of at most 10 MB.")
        )
    elif _file_type(upload) is None:
        errors.setdefault("authorization", []).append(
            _("The signed authorization must be a scan or photo: PDF, JPEG or PNG.")
        )


def _money(value: Any, name: str, errors: Errors) -> str | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(name, []).append(_("Give an amount in yuan."))
        return None
    if amount < 0:
        errors.setdefault(name, []).append(_("The amount cannot be negative."))
        return None
    return str(amount)


@transaction.atomic
def record_visit(
    *,
    actor: Any,
    case: Case | int,
    visited_on: dt.date | None,
    findings: str,
    proceed: bool,
    authorization_signed: bool = False,
    authorization_file: UploadedFile | None = None,
    category: str = "",
    risk_types: list[str] | None = None,
    income_per_capita: Any = None,
    income_stable_since: dt.date | None = None,
    rigid_spending_resolved: bool = False,
) -> Case:
    """The household visit: the facts found and, to go on, the household's signed authorization.

    ``proceed`` False ends the case here (the visit found no risk, or for an elimination, that the
    risk is not gone yet).
    """
    case = _locked_case(actor, case)
    _allow(actor, case, "visit")
    errors: Errors = {}
    _check_day("visited_on", visited_on, case.opened_on, errors)
    _require_text("findings", findings, errors, _("Record what the visit found."))
    facts: dict[str, Any] = {
        "visited_on": visited_on.isoformat() if visited_on else None,
        "findings": findings,
    }
    if proceed and case.kind == CaseKind.IDENTIFICATION:
        _check_category_and_risks(category, risk_types or [], errors)
        if authorization_file is not None:
            _check_authorization_file(authorization_file, errors)
        if not authorization_signed and authorization_file is None:
            errors.setdefault("authorization", []).append(
                _(
                    "The household must sign the authorization for data checks: "
                    "upload it or confirm it is signed."
                )
            )
    if proceed and case.kind == CaseKind.ELIMINATION:
        if income_per_capita in (None, ""):
            errors.setdefault("income_per_capita", []).append(_("Give the verified per-capita income."))
        else:
            facts["income_per_capita"] = _money(income_per_capita, "income_per_capita", errors)
        if income_stable_since is None:
            errors.setdefault("income_stable_since", []).append(
                _("Give the date since when income is stable.")
            )
        elif income_stable_since > clock.today():
            errors.setdefault("income_stable_since", []).append(_("The date cannot be in the future."))
        else:
            facts["income_stable_since"] = income_stable_since.isoformat()
        facts["rigid_spending_resolved"] = bool(rigid_spending_resolved)
    if errors:
        raise InvalidInput(errors)
    assert visited_on is not None
    before = case.state
    case.visit_facts = facts
    rules = _rules(case.household, visited_on)
    if proceed:
        case.state = State.APPRAISAL
        case.step_due = visited_on + dt.timedelta(days=rules.appraisal_days)
        if case.kind == CaseKind.IDENTIFICATION:
            case.proposed_category = category
            case.proposed_risk_types = _pack_risks(risk_types or [])
            case.authorization_signed = True
            if authorization_file is not None:
                # A made-up name: the household's file name may carry a person's name.
                extension = AUTHORIZATION_TYPES[_file_type(authorization_file) or ""]
                stored = f"case-{case.pk}-{uuid.uuid4().hex}.{extension}"
                case.authorization_file.save(stored, authorization_file, save=False)
    else:
        _end_at_village(case, actor, visited_on, findings)
    _save(
        case,
        "visit_facts",
        "state",
        "step_due",
        "proposed_category",
        "proposed_risk_types",
        "authorization_signed",
        "authorization_file",
        "outcome_reason",
    )
    _event(case, "visit", actor, from_state=before, on=visited_on, reason="" if proceed else findings.strip())
    notify.step_waiting(case)
    return case


@transaction.atomic
def record_appraisal(
    *,
    actor: Any,
    case: Case | int,
    held_on: dt.date | None,
    attendees: int,
    votes_for: int,
    votes_against: int,
    agreed: bool,
    notes: str = "",
) -> Case:
    """The village democratic appraisal; when it does not agree, the case ends at the village."""
    case = _locked_case(actor, case)
    _allow(actor, case, "appraise")
    visited = dt.date.fromisoformat(case.visit_facts["visited_on"])
    errors: Errors = {}
    _check_day("held_on", held_on, visited, errors)
    if attendees < 1:
        errors.setdefault("attendees", []).append(_("Say how many people took part."))
    if votes_for < 0 or votes_against < 0 or votes_for + votes_against > attendees:
        errors.setdefault("votes_for", []).append(
            _("The votes cannot be more than the people who took part.")
        )
    if not agreed:
        _require_text("notes", notes, errors, _("Say why the appraisal did not agree."))
    if errors:
        raise InvalidInput(errors)
    assert held_on is not None
    before = case.state
    case.appraisal = {
        "held_on": held_on.isoformat(),
        "attendees": attendees,
        "votes_for": votes_for,
        "votes_against": votes_against,
        "agreed": agreed,
        "notes": notes.strip(),
    }
    if agreed:
        case.state = State.NOTICE
        case.step_due = held_on + dt.timedelta(days=_rules(case.household, held_on).notice_posting_days)
    else:
        _end_at_village(case, actor, held_on, notes)
    _save(case, "appraisal", "state", "step_due", "outcome_reason")
    _event(case, "appraise", actor, from_state=before, on=held_on, reason="" if agreed else notes.strip())
    notify.step_waiting(case)
    return case


@transaction.atomic
def post_notice(*, actor: Any, case_ids: list[int], posted_on: dt.date | None, days: int) -> VillageNotice:
    """One public notice in one village for the listed cases, all waiting for their notice."""
    if not case_ids:
        raise InvalidInput({"cases": [_("Choose the households to put on the notice.")]})
    cases = [_locked_case(actor, pk) for pk in dict.fromkeys(case_ids)]
    for case in cases:
        _allow(actor, case, "post_notice")
    villages = {case.household.village_id for case in cases}
    kinds = {case.kind for case in cases}
    if len(villages) > 1:
        raise InvalidInput(
            {"cases": [_("A notice is posted in one village: choose households of one village.")]}
        )
    if len(kinds) > 1:
        raise InvalidInput({"cases": [_("Identification and elimination go on separate notices.")]})
    village = cases[0].household.village
    rules = _rules(cases[0].household, posted_on or clock.today())
    # A notice made up only of fast-tracked cases may be shorter where the province allows it.
    shortest = rules.emergency_notice_days if all(c.fast_tracked_on for c in cases) else rules.notice_days
    errors: Errors = {}
    last_appraisal = max(dt.date.fromisoformat(c.appraisal["held_on"]) for c in cases)
    _check_day("posted_on", posted_on, last_appraisal, errors)
    if days < shortest:
        errors.setdefault("days", []).append(
            lazy_format(_("A public notice lasts at least %(days)s days."), days=shortest)
        )
    if errors:
        raise InvalidInput(errors)
    assert posted_on is not None
    ends_on = posted_on + dt.timedelta(days=days)
    notice = VillageNotice.objects.create(
        village=village, kind=cases[0].kind, posted_on=posted_on, days=days, ends_on=ends_on, posted_by=actor
    )
    for case in cases:
        before = case.state
        case.notice = notice
        case.state = State.IN_NOTICE
        case.step_due = ends_on + dt.timedelta(days=rules.submission_days)
        _save(case, "notice", "state", "step_due")
        _event(case, "post_notice", actor, from_state=before, on=posted_on, details={"notice": notice.pk})
    return notice


@transaction.atomic
def record_objection(*, actor: Any, case: Case | int, received_on: dt.date | None, summary: str) -> Objection:
    case = _locked_case(actor, case)
    _allow(actor, case, "record_objection")
    assert case.notice is not None
    errors: Errors = {}
    _check_day("received_on", received_on, case.notice.posted_on, errors)
    _require_text("summary", summary, errors, _("Record what the objection says."))
    if errors:
        raise InvalidInput(errors)
    assert received_on is not None
    objection = Objection.objects.create(
        notice=case.notice, case=case, received_on=received_on, summary=summary.strip(), recorded_by=actor
    )
    _event(case, "record_objection", actor, from_state=case.state, on=received_on, reason=summary.strip())
    return objection


@transaction.atomic
def settle_objection(*, actor: Any, objection_id: int, upheld: bool, resolution: str) -> Objection:
    """Settle an objection after checking it; an upheld objection ends the case at the village."""
    objection = Objection.objects.select_related("case").filter(pk=objection_id).first()
    if objection is None:
        raise OutOfScope()
    case = _locked_case(actor, objection.case_id)
    _allow(actor, case, "settle_objection")
    if objection.resolved_on is not None:
        raise Refused(_("This objection was already settled."))
    errors: Errors = {}
    _require_text("resolution", resolution, errors, _("Record how the objection was checked and settled."))
    if errors:
        raise InvalidInput(errors)
    today = clock.today()
    objection.upheld = upheld
    objection.resolution = resolution.strip()
    objection.resolved_on = today
    objection.save(update_fields=["upheld", "resolution", "resolved_on"])
    before = case.state
    if upheld:
        _end_at_village(case, actor, today, resolution)
        _save(case, "state", "outcome_reason")
    _event(case, "settle_objection", actor, from_state=before, on=today, reason=resolution.strip())
    return objection


@transaction.atomic
def submit(*, actor: Any, case: Case | int) -> Case:
    """Send the case to the township once the notice period is over and every objection is settled."""
    case = _locked_case(actor, case)
    _allow(actor, case, "submit")
    assert case.notice is not None
    today = clock.today()
    if today < case.notice.ends_on:
        raise Refused(
            lazy_format(
                _("The public notice runs until %(last)s; the case can go to the township from %(day)s."),
                last=(case.notice.ends_on - dt.timedelta(days=1)).isoformat(),
                day=case.notice.ends_on.isoformat(),
            )
        )
    if case.objections.filter(resolved_on__isnull=True).exists():
        raise Refused(_("An objection has not been settled yet."))
    before = case.state
    case.state = State.TOWNSHIP
    case.submitted_by = actor
    case.step_due = today + dt.timedelta(days=_rules(case.household, today).township_days)
    _save(case, "state", "submitted_by", "step_due")
    _event(case, "submit", actor, from_state=before, on=today)
    notify.step_waiting(case)
    return case


# ---------------------------------------------------------------- township and county


def _reason_required(reason: str) -> None:
    if not reason.strip():
        raise InvalidInput({"reason": [_("Give the reason; the previous step will read it.")]})


@transaction.atomic
def township_review(*, actor: Any, case: Case | int, approve: bool, reason: str = "") -> Case:
    """Pass the case to the county, or return it to the village (one step back) with a reason."""
    case = _locked_case(actor, case)
    _allow(actor, case, "township_approve" if approve else "township_return")
    today = clock.today()
    rules = _rules(case.household, today)
    before = case.state
    if approve:
        case.state = State.COUNTY
        case.township_by = actor
        case.step_due = today + dt.timedelta(days=rules.county_days)
        _save(case, "state", "township_by", "step_due")
        _event(case, "township_approve", actor, from_state=before, on=today, reason=reason.strip())
        notify.step_waiting(case)
    else:
        _reason_required(reason)
        case.state = State.IN_NOTICE
        case.submitted_by = None
        case.step_due = today + dt.timedelta(days=rules.submission_days)
        _save(case, "state", "submitted_by", "step_due")
        _event(case, "township_return", actor, from_state=before, on=today, reason=reason.strip())
        notify.returned(case, reason.strip())
    return case


@transaction.atomic
def county_decide(
    *,
    actor: Any,
    case: Case | int,
    decision: str,
    reason: str = "",
    category: str = "",
    risk_types: list[str] | None = None,
    elimination_kind: str = "",
) -> Case:
    """The county's decision: ``approve``, ``reject`` (final, with a reason) or ``return`` (one step back)."""
    if decision not in ("approve", "reject", "return"):
        raise InvalidInput({"decision": [_("Choose approve, reject or return.")]})
    case = _locked_case(actor, case)
    _allow(actor, case, f"county_{decision}")
    today = clock.today()
    before = case.state
    household = case.household
    if decision == "return":
        _reason_required(reason)
        case.state = State.TOWNSHIP
        case.township_by = None
        case.step_due = today + dt.timedelta(days=_rules(household, today).township_days)
        _save(case, "state", "township_by", "step_due")
        _event(case, "county_return", actor, from_state=before, on=today, reason=reason.strip())
        notify.returned(case, reason.strip())
        return case
    if decision == "reject":
        _reason_required(reason)
        _end_unconfirmed_inclusion(case, actor, today, reason.strip())
        case.state = State.REJECTED
        case.outcome_reason = reason.strip()[:500]
        case.decided_on = today
        _save(case, "state", "outcome_reason", "decided_on")
        _close_clue(case)
        _event(case, "county_reject", actor, from_state=before, on=today, reason=reason.strip())
        notify.decided(case, State.REJECTED)
        return case
    if case.kind == CaseKind.IDENTIFICATION:
        errors: Errors = {}
        _check_category_and_risks(category, risk_types or [], errors)
        if errors:
            raise InvalidInput(errors)
        change_monitoring(
            actor=actor,
            household=household,
            expected_version=household.version,
            category=category,
            risk_types=list(dict.fromkeys(risk_types or [])),
            # A fast-tracked household has been monitored since it was included.
            effective_from=case.fast_tracked_on or today,
            reason=_history_reason(_("Identified by the county (case %(case)s)"), case),
        )
        case.decided_category = category
        case.decided_risk_types = _pack_risks(risk_types or [])
    else:
        if elimination_kind not in EliminationKind.values:
            raise InvalidInput({"elimination_kind": [_("Choose how the risk was eliminated.")]})
        household.refresh_from_db()
        failing = [
            gate
            for gate in elimination_gates(
                household,
                case.visit_facts,
                _rules(household, today),
                today,
                natural=elimination_kind == EliminationKind.NATURAL,
            )
            if not gate.passed
        ]
        if failing:
            raise Refused(
                lazy_format(
                    _("The risk cannot be eliminated yet: %(reasons)s"),
                    reasons=lazy_join([gate.message for gate in failing]),
                )
            )
        change_monitoring(
            actor=actor,
            household=household,
            expected_version=household.version,
            category="",
            risk_types=[],
            effective_from=today,
            reason=_history_reason(
                _("Risk eliminated: %(how)s (case %(case)s)"),
                case,
                how=EliminationKind(elimination_kind).label,
            ),
        )
        case.elimination_kind = elimination_kind
    case.state = State.APPROVED
    case.decided_on = today
    case.outcome_reason = reason.strip()[:500]
    _save(
        case,
        "state",
        "decided_on",
        "outcome_reason",
        "decided_category",
        "decided_risk_types",
        "elimination_kind",
    )
    _close_clue(case)
    _event(case, "county_approve", actor, from_state=before, on=today, reason=reason.strip())
    notify.decided(case, State.APPROVED)
    return case


@transaction.atomic
def fast_track(
    *, actor: Any, case: Case | int, reason_kind: str, category: str, risk_types: list[str], reason: str
) -> Case:
    """Include the household at once (disaster, sudden serious illness, accident); the steps stay owed."""
    case = _locked_case(actor, case)
    _allow(actor, case, "fast_track")
    errors: Errors = {}
    if reason_kind not in FastTrackReason.values:
        errors.setdefault("reason_kind", []).append(
            _("The fast track is for natural disasters, sudden serious illness and accidents.")
        )
    _check_category_and_risks(category, risk_types, errors)
    _require_text("reason", reason, errors, _("Say what happened to the household."))
    if errors:
        raise InvalidInput(errors)
    today = clock.today()
    household = case.household
    change_monitoring(
        actor=actor,
        household=household,
        expected_version=household.version,
        category=category,
        risk_types=list(dict.fromkeys(risk_types)),
        effective_from=today,
        reason=_history_reason(
            _("Included first, procedure owed: %(why)s (case %(case)s)"),
            case,
            why=FastTrackReason(reason_kind).label,
        ),
    )
    case.fast_tracked_on = today
    case.fast_track_reason = reason_kind
    case.proposed_category = category
    case.proposed_risk_types = _pack_risks(risk_types)
    case.decision_due = today + dt.timedelta(days=_rules(household, today).fast_track_completion_days)
    _save(
        case,
        "fast_tracked_on",
        "fast_track_reason",
        "proposed_category",
        "proposed_risk_types",
        "decision_due",
    )
    _event(case, "fast_track", actor, from_state=case.state, on=today, reason=reason.strip())
    return case


def gates_for(case: Case, *, natural: bool = False) -> list[Gate]:
    """The elimination gates as they stand today, for the case page."""
    today = clock.today()
    return elimination_gates(
        case.household, case.visit_facts, _rules(case.household, today), today, natural=natural
    )


@transaction.atomic
def mark_notifications_read(*, actor: Any) -> int:
    from fupin.cases.models import Notification

    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
