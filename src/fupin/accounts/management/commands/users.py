"""``fupin users add|token|revoke-tokens|deactivate|activate|list``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import services
from fupin.accounts.models import User
from fupin.accounts.roles import Role
from fupin.core.errors import InvalidInput
from fupin.core.i18n import bilingual


class Command(BaseCommand):
    help = "Manage user accounts: add, token, revoke-tokens, deactivate, activate, list."

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
        token = sub.add_parser("token", help="print a new API token (earlier tokens are revoked)")
        token.add_argument("username")
        token.add_argument("--days", type=int, default=None, help="days the token works")
        token.add_argument(
            "--keep-others", action="store_true", help="leave the user's earlier tokens working"
        )
        for verb, text in (
            ("revoke-tokens", "revoke every API token of a user"),
            ("deactivate", "close an account: no login, no token"),
            ("activate", "reopen a closed account"),
        ):
            sub.add_parser(verb, help=text).add_argument("username")
        sub.add_parser("list", help="accounts with role, state and working tokens")

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
        elif options["action"] == "list":
            self._list()
        else:
            holder = User.objects.filter(username=options["username"]).first()
            if holder is None:
                raise CommandError(bilingual(_("No such user.")) + f": {options['username']}")
            self._on_user(options["action"], holder, options)

    def _on_user(self, action: str, holder: User, options: dict[str, Any]) -> None:
        if action == "token":
            try:
                token = services.issue_token(
                    user=holder, days=options["days"], keep_others=options["keep_others"]
                )
            except InvalidInput as exc:
                raise CommandError(bilingual(exc.field_errors["days"][0])) from None
            self.stdout.write(token)
        elif action == "revoke-tokens":
            count = services.revoke_tokens(user=holder)
            self.stdout.write(f"{count} tokens of {holder.username} revoked")
        else:
            services.set_active(user=holder, active=action == "activate")
            state = "active" if holder.is_active else "deactivated, its tokens revoked"
            self.stdout.write(f"{holder.username}: {state}")

    def _list(self) -> None:
        now = timezone.now()
        working = Count(
            "api_tokens",
            filter=Q(api_tokens__revoked=False)
            & (Q(api_tokens__expires_at__isnull=True) | Q(api_tokens__expires_at__gt=now)),
        )
        for user in User.objects.annotate(tokens=working).order_by("username"):
            state = "active" if user.is_active else "inactive"
            last = user.last_login.date().isoformat() if user.last_login else "-"
            self.stdout.write(
                f"{user.username}\t{user.role or '-'}\t{state}\ttokens={user.tokens}\tlast_login={last}"
            )
