"""``fupin audit verify``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fupin.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Audit log tools: verify the hash chain."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="recompute every hash and link")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.ok:
            self.stdout.write(f"audit log intact: {report.checked} entries, chain and head agree")
            return
        for problem in report.problems[:100]:
            self.stderr.write(problem)
        raise CommandError(
            f"audit log damaged: {len(report.problems)} problem(s) in {report.checked} entries"
        )
