"""``fupin demo-data [--county CODE] [--households N] [--seed S] [--if-empty]``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fupin.accounts.roles import Role
from fupin.core.i18n import bilingual
from fupin.core.progress import ProgressBar
from fupin.core.signals import announce, announced_at_the_end
from fupin.demo import generator, loader

if TYPE_CHECKING:
    from fupin.demo.province import ProvinceSummary

URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = "Generate a demo county (townships, villages, households, members, incomes) and demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--county",
            default=generator.DEFAULT_COUNTY_CODE,
            help="6-digit county code (default 220822 通榆县)",
        )
        parser.add_argument(
            "--households", type=int, default=20_000, help="number of households (default 20000)"
        )
        parser.add_argument(
            "--seed", type=int, default=2024, help="random seed: the same seed gives the same data"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="if the county already has households, load nothing and just print the demo logins",
        )
        parser.add_argument(
            "--province",
            default="",
            help="2-digit province code: load a whole province's registry in bulk (COPY) instead of a county",
        )
        parser.add_argument(
            "--counties", type=int, default=0, help="with --province: only the first N counties (by code)"
        )
        parser.add_argument(
            "--workers", type=int, default=0, help="with --province: generating processes (default: cores)"
        )
        parser.add_argument(
            "--skip-loaded",
            action="store_true",
            help="with --province: leave out counties that already have households instead of refusing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Indicator tables are rebuilt once the work is done, before the command exits.
        with announced_at_the_end():
            self._handle(*args, **options)

    def _handle(self, *args: Any, **options: Any) -> None:
        if options["province"]:
            self._province(options)
            return
        code, households = options["county"].strip(), options["households"]
        existing = 0
        try:
            county = loader.county_or_error(code)
            existing = loader.county_household_count(code)
            if existing and options["if_empty"]:
                self.stdout.write(
                    f"{county.name} ({code}): 已有 {existing:,} 户，未加载演示数据 / "
                    f"already has {existing:,} households, nothing loaded."
                )
                self._print_logins(loader.demo_logins())
                self._figures_if_missing()
                return
            loader.check_can_load(code, households=households)
        except loader.DemoDataError as exc:
            hint = "\n（加 --if-empty 则只显示演示账号 / add --if-empty to only print the demo logins）"
            raise CommandError(bilingual(exc.message) + (hint if existing else "")) from None

        self.stdout.write(
            f"生成演示数据 / Generating {county.name} ({code}): "
            f"{households:,} households, seed {options['seed']} …"
        )
        bar = ProgressBar(self.stdout, "写入 / writing households")
        try:
            summary = loader.load_demo_county(
                county_code=code, households=households, seed=options["seed"], progress=bar
            )
        except loader.DemoDataError as exc:
            raise CommandError(bilingual(exc.message)) from None
        bar.finish()
        self.stdout.write(
            f"载入完成 / Loaded in {summary.generate_seconds + summary.write_seconds:.1f} s "
            f"(generate {summary.generate_seconds:.1f} s, write {summary.write_seconds:.1f} s): "
            f"{summary.townships_created} townships and {summary.villages_created} villages created, "
            f"{summary.households:,} households, {summary.members:,} members, "
            f"{summary.income_records:,} income records, {summary.monitoring_objects:,} monitoring objects, "
            f"{summary.feed_records:,} department feed records ({summary.feed_records_linked:,} linked), "
            f"{summary.measures:,} assistance measures, {summary.helpers:,} helpers twinned with "
            f"{summary.twinnings:,} households, {summary.task_force_members:,} task-force members, "
            f"{summary.visits:,} visits."
        )
        self._first_screening(code)
        self._demo_cases()
        self._demo_benefits(options["seed"])
        self._demo_supervision(options["seed"])
        self._demo_assets(options["seed"])
        self._demo_funds(options["seed"])
        self._print_logins(summary.logins)

    def _province(self, options: dict[str, Any]) -> None:
        """The registry of a province, written in bulk (fupin.demo.province); no feeds or casework."""
        from fupin.demo import province

        code, households = options["province"].strip(), options["households"]
        self.stdout.write(
            f"生成省级演示数据 / Generating province {code}: "
            f"{households:,} households, seed {options['seed']} …"
        )
        bar = ProgressBar(self.stdout, "写入 / writing households")
        try:
            summary = province.load_province(
                province_code=code,
                households=households,
                seed=options["seed"],
                counties=options["counties"] or None,
                workers=options["workers"] or None,
                skip_loaded=options["skip_loaded"],
                progress=bar,
            )
        except loader.DemoDataError as exc:
            raise CommandError(bilingual(exc.message)) from None
        bar.finish()
        self.stdout.write(report(summary))

    def _figures_if_missing(self) -> None:
        """A database loaded before indicator tables existed gets its first figures now."""
        from fupin.indicators.selectors import current_build

        if current_build() is None:
            announce(None, "demo")

    def _first_screening(self, county_code: str) -> None:
        """Screen the new county at once, so that a new user finds risk clues waiting."""
        from fupin.screening import services as screening

        bar = ProgressBar(self.stdout, "筛查 / screening")
        run = screening.run_screening(actor=None, area_code=county_code, progress=lambda s, d, t: bar(d, t))
        bar.finish()
        self.stdout.write(
            f"首次风险筛查 / First risk screening ({run.policy_name} {run.policy_version}, "
            f"{run.seconds:.1f} s): {run.new_clues:,} 条风险线索 / risk clues opened."
        )

    def _demo_cases(self) -> None:
        """Three weeks of casework in the demo village, so every step of the procedure has an example."""
        from fupin.demo import cases

        staged = cases.replay()
        if staged is not None:
            self.stdout.write(
                f"演示案件 / Demo cases in {staged.village_name}: {staged.cases} cases at different steps, "
                "1 self-declaration."
            )

    def _demo_benefits(self, seed: int) -> None:
        """Two benefit programmes with applications entered, approved and waiting."""
        from fupin.demo import benefits

        staged = benefits.stage(seed)
        if staged is not None:
            self.stdout.write(
                f"演示补贴 / Demo benefits: {staged.openings} programmes, "
                f"{staged.applications} applications, {staged.approved} approved, {staged.paid} paid."
            )

    def _demo_supervision(self, seed: int) -> None:
        """An unannounced visit with its sample, and problems at every stage of their rectification."""
        from fupin.demo import supervision

        staged = supervision.stage(seed)
        if staged is not None:
            self.stdout.write(
                f"演示督查 / Demo supervision: 1 unannounced visit "
                f"({staged.inspection_households} households drawn), "
                f"{staged.problems} problems at every stage, "
                f"a scheduling report to {staged.report_areas} counties."
            )

    def _demo_assets(self, seed: int) -> None:
        """The demo village's project assets, their 2025 income and its distribution, a disposal waiting."""
        from fupin.assets.services import fen_text
        from fupin.demo import assets

        staged = assets.stage(seed)
        if staged is not None:
            self.stdout.write(
                f"演示资产 / Demo assets: {staged.assets} assets, {fen_text(staged.distributed_fen)} yuan "
                f"of income distributed to {staged.households} households."
            )

    def _demo_funds(self, seed: int) -> None:
        """The year's linkage funds of the demo county: documents, a plan across projects, payments."""
        from fupin.demo import funds

        staged = funds.stage(seed)
        if staged is not None:
            self.stdout.write(
                f"演示衔接资金 / Demo linkage funds {staged.year}: {staged.projects} projects, "
                f"{staged.allocated_fen / 100:,.2f} yuan allocated, {staged.disbursed_fen / 100:,.2f} paid."
            )

    def _print_logins(self, logins: list[loader.DemoLogin]) -> None:
        if not logins:
            self.stdout.write("没有演示账号 / No demo accounts exist.")
            return
        self.stdout.write("")
        self.stdout.write("演示账号 / Demo logins:")
        width = max(len(login.username) for login in logins)
        for login in logins:
            role = bilingual(Role(login.role).label) if login.role in Role.values else login.role
            password = login.password or "(已修改 / changed)"
            self.stdout.write(
                f"  {login.username:<{width}}  password {password:<16}  {login.role:<17} "
                f"{login.area_name} ({login.area_code})  — {role}"
            )
        url = settings.PUBLIC_URL or URL
        self.stdout.write(f"\n打开 / Open {url} and log in with one of the accounts above.")
        self.stdout.write("演示密码仅供演示，切勿用于生产环境 / The demo password is for demonstration only.")


def report(summary: ProvinceSummary) -> str:
    """What ``fupin demo-data --province`` prints: counts, then seconds by stage."""
    stages = summary.stages
    return (
        f"载入完成 / Loaded {summary.province_name} ({summary.province_code}) in {summary.seconds:.1f} s "
        f"({summary.households / max(summary.seconds, 1e-9):,.0f} households/s, {summary.workers} workers): "
        f"{summary.counties} counties, {summary.townships_created} townships and "
        f"{summary.villages_created} villages created, {summary.households:,} households, "
        f"{summary.members:,} members, {summary.income_records:,} income records, "
        f"{summary.monitoring_objects:,} monitoring objects.\n"
        f"  stages (s): generate {stages['generate']:.1f}, encrypt {stages['encrypt']:.1f}, "
        f"rows {stages['rows']:.1f} (summed over the workers); waiting for workers {stages['wait']:.1f}, "
        f"areas {stages['areas']:.1f}, write {stages['write']:.1f}, index {stages['index']:.1f}, "
        f"analyze {stages['analyze']:.1f}"
        + ("" if summary.fresh else " (appended: indexes kept)")
        + "\n  风险筛查与指标请另行运行 / Screening and indicators are not run: "
        "`fupin screen --area CODE`, `fupin indicators rebuild`."
    )
