"""Text messages through one gateway interface.

The default ``OutboxGateway`` sends nothing: it prints each message to the console and appends it
to ``settings.SMS_OUTBOX`` (var/sms-outbox.log), with the number masked, so that development, the demo
and the tests can read the confirmation codes. To use a real provider, write a class with a
``send(phone, text)`` method that raises ``SmsError`` on failure and point ``FUPIN_SMS_BACKEND`` at
it (see docs/workflow.md, "Text messages").

Messages never carry ID numbers, health details or bank accounts; only the masked number is written
anywhere on this machine.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from fupin.domain import phone as phone_rules

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway could not take the message."""


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class OutboxGateway:
    """Writes messages to the console and an outbox file instead of sending them."""

    def send(self, phone: str, text: str) -> None:
        line = {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "to": phone_rules.mask(phone),
            "text": text,
        }
        encoded = json.dumps(line, ensure_ascii=False)
        with open(settings.SMS_OUTBOX, "a", encoding="utf-8") as outbox:
            outbox.write(encoded + "\n")
        print(f"[sms] {encoded}", file=sys.stderr)


@cache
def _gateway(path: str) -> SmsGateway:
    gateway: SmsGateway = import_string(path)()
    return gateway


def queue(phone: str, text: str) -> None:
    """Send one message from the worker (fupin.jobs), or now when ``SMS_IN_BACKGROUND`` is off.

    The number and the text (a confirmation code, say) wait in the queue table encrypted; queued inside
    a transaction, the message goes only if it commits.
    """
    from fupin.jobs import services as jobs
    from fupin.pii.crypto import get_cipher

    cipher = get_cipher()
    jobs.enqueue("sms", phone=cipher.encrypt(phone), text=cipher.encrypt(text))


def send(phone: str, text: str) -> bool:
    """Send one message; a failing gateway is logged (without the number) and reported as False."""
    try:
        _gateway(settings.SMS_BACKEND).send(phone, text)
    except SmsError as error:
        logger.warning("SMS gateway refused a message: %s", error)
        return False
    return True
