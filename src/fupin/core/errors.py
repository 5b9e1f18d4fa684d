"""Errors that services raise and pages, the API and commands turn into messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Message = str | Promise
# What a service collects before refusing: field → messages, every problem at once (InvalidInput).
Errors = dict[str, list[Message]]


def add_error(errors: Errors, field: str, message: Message) -> None:
    errors.setdefault(field, []).append(message)


class ServiceError(Exception):
    message: Message = _("The request could not be carried out.")

    def __init__(self, message: Message | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class InvalidInput(ServiceError):
    """Field → messages. Nothing was changed."""

    message = _("Some values are not valid. Nothing was saved.")

    def __init__(self, field_errors: Mapping[str, Sequence[Message]]) -> None:
        self.field_errors = {k: list(v) for k, v in field_errors.items() if v}
        super().__init__()


class StaleEdit(ServiceError):
    message = _(
        "Someone else saved this record after you opened it. Nothing was saved; "
        "your changes are still in the form. Review the current values and save again."
    )


class NotPermitted(ServiceError):
    message = _("Your role does not allow this.")


class OutOfScope(ServiceError):
    """Raised for records outside the user's area scope; shown as 'not found' so nothing leaks."""

    message = _("No such record in your area.")


class Refused(ServiceError):
    """A rule of the procedure forbids the step now (wrong step, notice not over, a gate fails).

    Nothing was changed; the message says which rule and what would make the step possible.
    """

    message = _("This step cannot be taken now.")
