"""Reading areas for a user."""

from __future__ import annotations

from typing import Any

from fupin.accounts import scope
from fupin.areas.models import Area
from fupin.core.errors import OutOfScope


def area_for(user: Any, code: str) -> Area:
    """The area of ``code`` if the user may read it; otherwise "not found", so nothing leaks."""
    area = Area.objects.filter(code=code.strip()).first()
    if area is None or not scope.area_in_scope(user, area.path):
        raise OutOfScope()
    return area
