"""One step machine for the procedures: which action moves a record from which step to which, who may
take it, and who may not because they took the step it reviews.

The monitoring procedure set the pattern (``fupin.cases.workflow``); the project library uses the same
table shape, so a procedure is a table of ``Step`` rows, and services, pages and the API all ask the
table (``refusal``, ``allowed``) instead of each writing its own checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.accounts.roles import refusal as role_refusal
from fupin.core.errors import Message
from fupin.core.i18n import lazy_format


@dataclass(frozen=True)
class Step:
    name: str
    label: Message
    from_states: tuple[str, ...]
    to_state: str
    capability: Capability
    # Users recorded in these fields of the record may not take this step (they did what it reviews).
    not_by: tuple[str, ...] = ()
    # Whether the step needs a reason (returns, rejections, terminations).
    needs_reason: bool = False


class StepTable:
    """A procedure's steps by name, and the questions every caller asks of them."""

    def __init__(self, steps: Iterable[Step], state_label: Callable[[str], Message]) -> None:
        self.steps = {step.name: step for step in steps}
        self.state_label = state_label

    def __getitem__(self, name: str) -> Step:
        return self.steps[name]

    def refusal(self, user: Any, record: Any, name: str) -> Message | None:
        """Why ``user`` may not take step ``name`` on ``record`` now, or None when they may.

        Area scope is the caller's (a record outside it is "not found", not "refused").
        """
        step = self.steps.get(name)
        if step is None:
            return _("There is no such step.")
        if not getattr(user, "is_authenticated", False) or not user.can(step.capability):
            return role_refusal(getattr(user, "role", ""), step.capability)
        if record.state not in step.from_states:
            return lazy_format(
                _("The record is at the step “%(step)s”; this action is not possible now."),
                step=self.state_label(record.state),
            )
        for field in step.not_by:
            if getattr(record, f"{field}_id") == user.pk:
                return _("You took the step this one reviews; another person must review it.")
        return None

    def allowed(self, user: Any, record: Any) -> list[Step]:
        return [step for name, step in self.steps.items() if self.refusal(user, record, name) is None]
