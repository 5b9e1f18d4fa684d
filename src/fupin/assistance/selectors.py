"""Reading assistance measures, always through the scoping layer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fupin.accounts import scope
from fupin.assistance.models import Measure
from fupin.registry.models import Household


def measures_of(user: Any, household: Household) -> QuerySet[Measure]:
    """The household's measures, oldest first (empty outside the user's view scope)."""
    return scope.scoped(Measure.objects.all(), user).filter(household=household).order_by("started_on", "id")
