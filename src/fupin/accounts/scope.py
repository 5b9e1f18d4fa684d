"""The one area-scoping layer. Every query for records goes through ``scoped``.

Deny by default: a user with no granted area gets an empty queryset, a record with no area is
never matched, an unknown model raises. Capture scope (may edit) is a subset of view scope:
an area granted for capture is also readable.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from django.db.models import Model, Q, QuerySet

from fupin.accounts.models import ScopeKind, User

ScopeMode = Literal["view", "capture"]
M = TypeVar("M", bound=Model)

# How each scoped model reaches its area's materialized path.
_PATH_FIELDS: dict[str, str] = {}


def register(model: type[Model], path_field: str) -> None:
    """Declare how ``model`` is scoped (called from each app's models module)."""
    _PATH_FIELDS[model._meta.label_lower] = path_field


def granted_paths(user: Any, mode: ScopeMode) -> list[str]:
    """Materialized paths of the areas a user may read (``view``) or edit (``capture``)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache_attr = f"_fupin_scope_{mode}"
    cached = getattr(user, cache_attr, None)
    if cached is not None:
        return list(cached)
    kinds = [ScopeKind.CAPTURE] if mode == "capture" else [ScopeKind.CAPTURE, ScopeKind.VIEW]
    paths = sorted(set(user.area_grants.filter(kind__in=kinds).values_list("area__path", flat=True)))
    # Drop paths inside another granted path: fewer OR terms in every query.
    minimal = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    setattr(user, cache_attr, minimal)
    return list(minimal)


def scope_filter(user: Any, mode: ScopeMode, path_field: str) -> Q:
    paths = granted_paths(user, mode)
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{path_field}__startswith": path})
    return condition


def scoped(queryset: QuerySet[M], user: Any, mode: ScopeMode = "view") -> QuerySet[M]:
    """The records of ``queryset`` inside the user's scope; nothing when unsure."""
    label = queryset.model._meta.label_lower
    if label not in _PATH_FIELDS:
        raise LookupError(f"{label} is not registered with the scoping layer")
    paths = granted_paths(user, mode)
    if not paths:
        return queryset.none()
    return queryset.filter(scope_filter(user, mode, _PATH_FIELDS[label]))


def area_in_scope(user: User, area_path: str | None, mode: ScopeMode = "view") -> bool:
    if not area_path:
        return False
    return any(area_path.startswith(p) for p in granted_paths(user, mode))
