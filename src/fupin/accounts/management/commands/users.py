"""``fupin users add`` and ``fupin users token``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from fupin.accounts import services
from fupin.accounts.models import User
from fupin.accounts.roles import Role
from fupin.core.errors import InvalidInput
from fupin.core.i18n import bilingual


class Command(BaseCommand):
    help = "Manage user accounts: add, token."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create a user")
        add.add_argument("username")
        add.add_argument("--role", required=True, help=", ".join(Role.values))
        add.add_argument("--area", action="append", required=True, help="area code (repeatable)")
        add.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
        add.add_argument("--name", default="", help="full name")
        add.add_argument("--phone", default="", help="mobile for text messages about waiting steps")
        add.add_argument(
            "--view-only", action="store_true", help="grant view scope only, even to an editing role"
        )
        token = sub.add_parser("token", help="print a new API token")
        token.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            password = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else None
            try:
                user = services.create_user(
                    username=options["username"],
                    role=options["role"],
                    area_codes=options["area"],
                    password=password,
                    full_name=options["name"],
                    phone_number=options["phone"],
                    capture=False if options["view_only"] else None,
                )
            except InvalidInput as exc:
                lines = [f"{field}: {bilingual(m)}" for field, ms in exc.field_errors.items() for m in ms]
                raise CommandError("\n".join(lines)) from None
            note = "" if password is not None else " (no password: API token only)"
            self.stdout.write(f"created {user.username} ({user.role}){note}")
        else:
            holder = User.objects.filter(username=options["username"]).first()
            if holder is None:
                raise CommandError(bilingual(_("No such user.")) + f": {options['username']}")
            self.stdout.write(services.issue_token(user=holder))
