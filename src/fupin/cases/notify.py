"""Telling the next actor that a step waits for them, and the household that a decision was made.

In the application (``Notification``) and by text message through ``fupin.cases.sms`` when the user
has a phone on record. Texts name the household by its number only: no names, ID numbers or health
details leave the system this way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fupin.accounts.models import ScopeKind, User
from fupin.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from fupin.areas.models import Area
from fupin.cases import sms
from fupin.cases.models import Case, Declaration, Notification, State
from fupin.core.i18n import lazy_format
from fupin.pii.crypto import get_cipher

STEP_CAPABILITY = {
    State.VISIT: Capability.VILLAGE_STEPS,
    State.APPRAISAL: Capability.VILLAGE_STEPS,
    State.NOTICE: Capability.VILLAGE_STEPS,
    State.IN_NOTICE: Capability.VILLAGE_STEPS,
    State.TOWNSHIP: Capability.TOWNSHIP_REVIEW,
    State.COUNTY: Capability.COUNTY_DECISION,
}

# Who is asked first for a step: the most local role that may take it.
PREFERRED_ROLES = {
    Capability.VILLAGE_STEPS: (Role.VILLAGE_CADRE, Role.TOWNSHIP_OFFICER),
    Capability.TOWNSHIP_REVIEW: (Role.TOWNSHIP_OFFICER,),
    Capability.COUNTY_DECISION: (Role.COUNTY_OFFICER, Role.COUNTY_ADMIN),
    Capability.RAISE_CLUE: (Role.VILLAGE_CADRE, Role.TOWNSHIP_OFFICER),
}

MESSAGES: dict[str, Promise] = {
    "step_waiting": _("Household %(household)s: “%(step)s” is waiting for you (due %(due)s)."),
    "clues_waiting": _("%(count)s new risk clues in %(village)s are waiting for a household visit."),
    "declaration": _("A household in %(village)s declared a difficulty; match it and open a case."),
    "decided": _("Household %(household)s: the county decided “%(outcome)s”."),
    "returned": _("Household %(household)s was returned for correction: %(reason)s"),
}


def register_message(kind: str, template: Promise) -> None:
    """A message kind of another app (supervision's situation reports, say), known to ``text_of``.

    Its notifications carry ``params["link"]``, the path of the page they are about, for the list."""
    MESSAGES[kind] = template


def send(users: Iterable[User], kind: str, params: dict[str, Any]) -> None:
    """Notify ``users`` in the application, and by text those with a phone (a registered ``kind``)."""
    _send(users, kind, params)


def text_of(notification: Notification) -> str:
    """The notification in the active language, values put in."""
    template = MESSAGES.get(notification.kind)
    if template is None:
        return notification.kind
    return str(lazy_format(template, **_display(notification.params)))


def actors_for(village: Area, capability: Capability) -> list[User]:
    """Active users whose role takes ``capability`` and whose capture scope covers ``village``."""
    ancestors = [village.path[: i + 1] for i, ch in enumerate(village.path) if ch == "/" and i > 0]
    roles = [role for role in PREFERRED_ROLES.get(capability, ()) if capability in ROLE_CAPABILITIES[role]]
    users = list(
        User.objects.filter(
            is_active=True,
            role__in=roles,
            area_grants__kind=ScopeKind.CAPTURE,
            area_grants__area__path__in=ancestors,
        ).distinct()
    )
    for role in roles:  # the most local role that has somebody
        chosen = [u for u in users if u.role == role]
        if chosen:
            return chosen
    return []


def _send(users: Iterable[User], kind: str, params: dict[str, Any], **links: Any) -> None:
    users = list(users)
    Notification.objects.bulk_create(
        [Notification(recipient=u, kind=kind, params=params, **links) for u in users]
    )
    cipher = get_cipher()
    with translation.override("zh-hans"):
        text = str(lazy_format(MESSAGES[kind], **_display(params)))
    for user in users:
        if user.phone_enc:
            sms.queue(cipher.decrypt(user.phone_enc), text)


def _display(params: dict[str, Any]) -> dict[str, Any]:
    """Codes of steps and outcomes become their labels, in the language active when shown."""
    shown = dict(params)
    for key in ("step", "outcome"):
        if shown.get(key) in State.values:
            shown[key] = State(shown[key]).label
    return shown


def step_waiting(case: Case) -> None:
    capability = STEP_CAPABILITY.get(State(case.state))
    if capability is None:
        return
    village = case.household.village
    params = {"household": case.household.number, "step": case.state, "due": case.step_due.isoformat()}
    _send(actors_for(village, capability), "step_waiting", params, case=case)


def step_taken(case: Case) -> int:
    """The case has left a step: "waiting for you" messages about any other step are settled for
    everyone they went to, whoever took the step (no one is asked to do what is already done)."""
    waiting = Notification.objects.filter(case=case, kind="step_waiting", read_at__isnull=True)
    return waiting.exclude(params__step=case.state).update(read_at=timezone.now())


def returned(case: Case, reason: str) -> None:
    capability = STEP_CAPABILITY.get(State(case.state))
    if capability is None:
        return
    params = {"household": case.household.number, "reason": reason}
    _send(actors_for(case.household.village, capability), "returned", params, case=case)


def clues_waiting(village: Area, count: int) -> None:
    params = {"count": count, "village": village.name}
    _send(actors_for(village, Capability.VILLAGE_STEPS), "clues_waiting", params)


def declaration_arrived(declaration: Declaration) -> None:
    params = {"village": declaration.village.name}
    _send(
        actors_for(declaration.village, Capability.RAISE_CLUE), "declaration", params, declaration=declaration
    )


def decided(case: Case, outcome: str) -> None:
    """Tell the village (in the application) and the household (by text, when it has a phone)."""
    params = {"household": case.household.number, "outcome": outcome}
    _send(actors_for(case.household.village, Capability.VILLAGE_STEPS), "decided", params, case=case)
    household = case.household
    if household.phone_enc:
        with translation.override("zh-hans"):
            text = str(
                lazy_format(
                    _(
                        "Your household's case (%(household)s) was decided by the county: %(outcome)s. "
                        "Ask your village committee for details."
                    ),
                    **_display(params),
                )
            )
        sms.queue(get_cipher().decrypt(household.phone_enc), text)


def unread_count(user: User) -> int:
    return Notification.objects.filter(Q(recipient=user) & Q(read_at__isnull=True)).count()
