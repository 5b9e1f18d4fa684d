"""The payments button on a benefit opening's page (shown only to those who run payments)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from fupin.accounts.roles import Capability
from fupin.payments.selectors import county_in_scope

register = template.Library()


@register.simple_tag(takes_context=True)
def payments_button(context: Any, opening: Any) -> SafeString:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.can(Capability.MANAGE_PAYMENTS):
        return SafeString("")
    if not county_in_scope(user, opening):
        return SafeString("")
    return format_html(
        '<a class="button" href="{}">{}</a>', reverse("payments:opening", args=[opening.pk]), _("Payments")
    )
