from typing import Any

from django import template

from fupin.accounts.roles import Capability

register = template.Library()


@register.filter
def may_simulate(user: Any) -> bool:
    """Whether the main menu shows the policy scenarios (a role that may simulate)."""
    can = getattr(user, "can", None)
    return bool(can and can(Capability.RUN_SCENARIOS))
