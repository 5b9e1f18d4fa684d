"""Template helpers of the monitoring pages: timeline labels and the unread-notifications badge."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from fupin.cases import notify
from fupin.core.errors import Message

register = template.Library()

# What each timeline entry (CaseEvent.action) says happened.
EVENT_LABELS: dict[str, Message] = {
    "open": _("Case opened"),
    "visit": _("Household visited"),
    "appraise": _("Village appraisal held"),
    "post_notice": _("Public notice posted"),
    "record_objection": _("Objection received"),
    "settle_objection": _("Objection settled"),
    "submit": _("Submitted to the township"),
    "township_approve": _("Township review passed"),
    "township_return": _("Returned to the village for correction"),
    "county_approve": _("Approved by the county"),
    "county_return": _("Returned to the township for correction"),
    "county_reject": _("Rejected by the county"),
    "fast_track": _("Included first (fast track)"),
}


@register.filter
def event_label(action: str) -> Any:
    return EVENT_LABELS.get(action, action)


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """The user's unread notifications (one COUNT query), 0 for a visitor who is not logged in."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return notify.unread_count(user)
