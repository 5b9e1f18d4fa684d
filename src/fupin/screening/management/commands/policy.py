"""``fupin policy check|test|explain PACK``: what policy staff run before a pack goes live."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fupin.engine.backends import ENGINES, backend
from fupin.engine.checker import check_pack
from fupin.engine.compiler import rule_column
from fupin.engine.packs import PackError, load_pack
from fupin.engine.screening import explain, screen
from fupin.engine.testing import run_cases
from fupin.screening import packs
from fupin.screening.services import installed_engines, scratch_database_uri


class Command(BaseCommand):
    help = "Check a policy pack, run its test cases on every engine, or explain it for one household."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="parse and type-check every expression")
        check.add_argument("pack", help="pack name (e.g. national-monitoring) or a .yaml path")
        test = sub.add_parser("test", help="run the pack's test cases")
        test.add_argument("pack")
        test.add_argument(
            "--engine", action="append", choices=ENGINES, help="default: every engine installed here"
        )
        explain_parser = sub.add_parser("explain", help="each rule's value for one household")
        explain_parser.add_argument("pack")
        explain_parser.add_argument("--household", required=True, help="household number")
        explain_parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        explain_parser.add_argument("--language", choices=["zh", "en"], default="zh")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = packs.path_of(options["pack"])
        except LookupError as error:
            names = ", ".join(packs.available())
            raise CommandError(
                f"没有该政策包 / No policy pack {options['pack']!r}. Available: {names}"
            ) from error
        try:
            checked = check_pack(load_pack(path, packs.folders()))
        except PackError as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"政策包有 {len(error.problems)} 处错误，未运行任何规则 / "
                f"The pack has {len(error.problems)} problem(s); nothing was run."
            ) from error
        pack = checked.pack
        if options["action"] == "check":
            self.stdout.write(
                f"通过 / OK: {pack.label}: {len(pack.parameters)} parameters, "
                f"{len(pack.variables)} variables, {len(pack.rules)} rules, {len(pack.tests)} test cases, "
                f"{len(pack.programmes)} benefit programmes"
            )
            for programme in pack.programmes:
                caps = ", ".join(programme.caps) or "—"
                self.stdout.write(
                    f"  {programme.id} ({programme.title['zh']} / {programme.title['en']}): "
                    f"{len(programme.conditions)} conditions, caps: {caps}"
                )
            examples = [n for n, p in pack.parameters.items() if any(v.example for v in p.values)]
            if examples:
                self.stdout.write(f"示例值 / Example values still in use: {', '.join(examples)}")
        elif options["action"] == "test":
            self._test(checked, options["engine"] or installed_engines())
        else:
            self._explain(checked, options)

    def _test(self, checked: Any, engines: list[str]) -> None:
        failed = 0
        for name in engines:
            outcomes = run_cases(checked, backend(name, database_uri=scratch_database_uri()))
            for outcome in outcomes:
                mark = "✓" if outcome.passed else "✗"
                detail = ""
                if outcome.missing:
                    detail += f" missed {', '.join(outcome.missing)}"
                if outcome.unexpected:
                    detail += f" unexpectedly hit {', '.join(outcome.unexpected)}"
                self.stdout.write(f"  [{name}] {mark} {outcome.case}{detail}")
            failures = sum(not o.passed for o in outcomes)
            failed += failures
            self.stdout.write(f"{name}: {len(outcomes) - failures} passed, {failures} failed")
        if failed:
            raise CommandError(f"{failed} 个测试用例未通过 / {failed} test case(s) failed")

    def _explain(self, checked: Any, options: dict[str, Any]) -> None:
        from django.utils import timezone

        from fupin.registry.models import Household
        from fupin.screening.snapshot import snapshot

        household = Household.objects.select_related("village").filter(number=options["household"]).first()
        if household is None:
            raise CommandError(f"没有该户 / No household numbered {options['household']!r}")
        as_of = options["as_of"] or timezone.localdate()
        data = snapshot(household.village, household_ids=[household.pk], as_of=as_of)
        result = screen(checked, data, as_of, only_hits=False)
        row = {name: result.evaluated.column(name)[0].as_py() for name in result.evaluated.column_names}
        self.stdout.write(f"{checked.pack.label} — {household.number} — {as_of}")
        self.stdout.write("参数 / parameters:")
        for name in checked.pack.parameters:
            self.stdout.write(f"  {name} = {row[name]}")
        self.stdout.write("变量 / variables:")
        for name in checked.pack.variables:
            self.stdout.write(f"  {name} = {row[name]}")
        self.stdout.write("规则 / rules:")
        for rule in checked.pack.rules:
            hit = bool(row[rule_column(rule.id)])
            line = f"  {'HIT ' if hit else 'no  '} {rule.id}"
            if hit:
                line += " — " + explain(rule.message, row, options["language"])
            self.stdout.write(line)
