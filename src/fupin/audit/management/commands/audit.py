"""``fupin audit verify``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fupin.audit.selectors import verify_chain
from fupin.audit.services import write_checkpoint


class Command(BaseCommand):
    help = "Audit log tools: verify the keyed hash chain, write signed checkpoints."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="recompute every hash and link, check the signed checkpoints")
        sub.add_parser(
            "checkpoint",
            help="verify, then append the signed head to the checkpoint file (nightly; copy it off)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.ok:
            self.stdout.write(
                f"audit log intact: {report.checked} entries, chain, head and checkpoints agree"
            )
            if options["action"] == "checkpoint":
                checkpoint = write_checkpoint()
                self.stdout.write(
                    f"checkpoint written to {settings.AUDIT_CHECKPOINT_FILE}: entry {checkpoint['entry_id']}"
                )
            return
        for problem in report.problems[:100]:
            self.stderr.write(problem)
        raise CommandError(
            f"audit log damaged: {len(report.problems)} problem(s) in {report.checked} entries"
        )
