"""Registering an entity by its credit code (the one write benefits need before the industry app)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area
from fupin.audit import services as audit
from fupin.core.errors import InvalidInput, Message
from fupin.domain import creditcode
from fupin.entities.models import Entity, EntityKind

CREDIT_CODE_PROBLEMS: dict[str, Message] = {
    "length": _("A unified social credit code has 18 characters."),
    "characters": _(
        "A unified social credit code holds digits and capital letters other than I, O, S, V and Z, "
        "with the division code (6 digits) in places 3 to 8."
    ),
    "check": _("The last character does not match the others: a character was probably mistyped."),
}


def credit_code_problem(raw: str) -> Message | None:
    try:
        creditcode.parse(raw)
    except creditcode.CreditCodeError as exc:
        return CREDIT_CODE_PROBLEMS[exc.code]
    return None


def find_or_register(*, actor: Any, credit_code: str, name: str, kind: str, area: Area | None) -> Entity:
    """The entity with this code, registered first when it is new (then name, kind and area are needed).

    The caller has checked the actor's role and capture area; errors come back all at once.
    """
    errors: dict[str, list[Message]] = {}
    problem = credit_code_problem(credit_code)
    if problem is not None:
        raise InvalidInput({"credit_code": [problem]})
    code = creditcode.parse(credit_code)
    existing = Entity.objects.filter(credit_code=code).first()
    if existing is not None:
        return existing
    name = (name or "").strip()
    if not name:
        errors.setdefault("entity_name", []).append(_("A new entity needs its registered name."))
    elif len(name) > 100:
        errors.setdefault("entity_name", []).append(_("At most 100 characters, please."))
    if kind not in EntityKind.values:
        errors.setdefault("entity_kind", []).append(_("Choose the kind of entity."))
    if area is None:
        errors.setdefault("entity_area", []).append(_("Choose where the entity is registered."))
    if errors or area is None:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            entity = Entity.objects.create(name=name, kind=kind, credit_code=code, area=area)
    except IntegrityError:
        # Registered by someone else a moment ago: theirs is the one.
        return Entity.objects.get(credit_code=code)
    audit.record(
        actor=actor,
        action="create",
        object_type="entity",
        object_id=entity.pk,
        area_code=area.code if area else "",
        summary=f"registered entity {code}",
        changes={"name": name, "kind": kind, "credit_code": code},
    )
    return entity
