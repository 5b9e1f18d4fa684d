"""Text messages as background jobs. A worker stopped after the gateway took a message but before the
job was marked done sends it once more on the next attempt: a repeated text, never a lost one."""

from __future__ import annotations

from fupin.jobs.services import Kind, register


def run(phone: str, text: str) -> None:
    from fupin.cases import sms
    from fupin.pii.crypto import get_cipher

    cipher = get_cipher()
    sms.send(cipher.decrypt(phone), cipher.decrypt(text))


register(Kind("sms", run, background_setting="SMS_IN_BACKGROUND"))
