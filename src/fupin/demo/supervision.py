"""Supervision in the demo county: an unannounced visit of the demo village's township with its sample
drawn, and problems at every stage (waiting, being fixed, overdue, waiting for acceptance, returned,
closed, and one from a failed data check), made through the real services by the demo accounts.

A new user then finds the problem list with overdue counts, a rectification to accept (as demo-admin),
evidence files and a ledger to export.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.accounts.models import User
from fupin.areas.models import Area
from fupin.core import clock
from fupin.registry.models import Household
from fupin.supervision import services
from fupin.supervision.models import Inspection, Problem

# A one-page PDF standing in for a scanned rectification report.
EVIDENCE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

FINDINGS = (
    # (kind, severity, description, days since found, days of the task's deadline after found, stage)
    ("assistance", "serious", "帮扶措施未落实到户，产业补贴未兑现", 3, None, "pending"),
    ("identification", "serious", "监测对象识别超过15天未完成", 12, 20, "in_progress"),
    ("data_quality", "general", "家庭人口信息与公安户籍不一致", 40, 15, "overdue"),
    ("policy", "general", "医保参保资助未享受", 20, 25, "awaiting"),
    ("work_style", "general", "帮扶责任人走访记录不实", 25, 20, "returned"),
    ("assistance", "serious", "危房改造未及时验收", 30, 20, "closed"),
)


@dataclass(frozen=True)
class DemoSupervision:
    inspection_households: int
    problems: int
    report_areas: int = 0  # the areas the demo scheduling round went to


def _evidence(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, EVIDENCE, content_type="application/pdf")


def stage(seed: int = 2024) -> DemoSupervision | None:
    """None when the demo accounts are missing or supervision was staged already."""
    users = {
        u.username: u for u in User.objects.filter(username__in=["demo-county", "demo-admin", "demo-village"])
    }
    if len(users) < 3 or Inspection.objects.exists() or Problem.objects.exists():
        return None
    inspector, acceptor, cadre = users["demo-county"], users["demo-admin"], users["demo-village"]
    grant = cadre.area_grants.select_related("area__parent").first()
    if grant is None or grant.area.parent is None:
        return None
    village, township = grant.area, grant.area.parent
    today = clock.today()
    inspection = services.plan_inspection(
        actor=inspector,
        data=services.InspectionInput(
            source="unannounced_visit",
            title=f"{today.year}年{today.month}月{township.name}暗访",
            area_code=township.code,
            starts_on=today - dt.timedelta(days=45),
            ends_on=today + dt.timedelta(days=5),
            team="组长：县纪委监委 王组长\n成员：县乡村振兴局 张科长、县财政局 李科长",
            sample_size=12,
            seed=seed,
        ),
    )
    visits = list(
        inspection.households.select_related("household__village").order_by("stratum", "draw_order")
    )
    for visit in visits[: len(visits) // 2]:
        services.mark_visited(actor=inspector, visit=visit, visited_on=today - dt.timedelta(days=45))
    in_village = [v.household for v in visits if v.household.village_id == village.pk]
    households = in_village or list(Household.objects.filter(village=village).order_by("number")[:6])
    made = 0
    for index, (kind, severity, text, ago, deadline_after, step) in enumerate(FINDINGS):
        household = households[index % len(households)] if households else None
        found_on = today - dt.timedelta(days=ago)
        problem = services.record_problem(
            actor=inspector,
            data=services.ProblemInput(
                source="unannounced_visit",
                area_code=village.code,
                kind=kind,
                severity=severity,
                description=text,
                found_on=found_on,
                lead_unit="县乡村振兴局",
                household_id=household.pk if household is not None else None,
                inspection_id=inspection.pk if household in in_village else None,
            ),
        )
        made += 1
        if deadline_after is None:
            continue
        services.add_task(
            actor=inspector,
            problem=problem,
            responsible_unit=f"{township.name}人民政府",
            responsible_person="刘副镇长",
            deadline=found_on + dt.timedelta(days=deadline_after),
            measures="逐户核实，限期整改到位，整改材料报县乡村振兴局",
        )
        if step in ("in_progress", "overdue"):
            continue
        services.rectify(
            actor=cadre,
            problem=problem,
            description="已逐户核实并整改，附整改报告",
            done_on=today - dt.timedelta(days=2),
            files=[_evidence("整改报告.pdf")],
        )
        if step == "returned":
            services.reject(actor=acceptor, problem=problem, reason="佐证材料不全，缺少走访签字表")
        elif step == "closed":
            services.accept(actor=acceptor, problem=problem)
    made += _from_a_data_check(inspector, village)
    areas = _scheduling_round(inspector, township.parent)
    return DemoSupervision(inspection_households=len(visits), problems=made, report_areas=areas)


def _scheduling_round(county_officer: User, county: Area | None) -> int:
    """The province's monthly report issued to the counties of the demo county's prefecture; the demo
    county has filled and submitted its own, which waits for the province's acceptance."""
    from fupin.areas.models import AreaLevel
    from fupin.supervision import scheduling

    province = User.objects.filter(username="demo-province").first()
    if province is None or county is None or county.parent is None:
        return 0
    today = clock.today()
    issued = scheduling.issue_round(
        actor=province,
        data=scheduling.RoundInput(
            form_code="monthly_monitoring",
            issuer_code=county.parent.code,
            filler_level=int(AreaLevel.COUNTY),
            period=today.strftime("%Y-%m"),
            deadline=today + dt.timedelta(days=3),
        ),
    )
    ours = issued.submissions.select_related("round", "area").filter(area=county).first()
    if ours is not None:
        scheduling.save(
            actor=county_officer,
            submission=ours,
            typed={
                "problems_found": "7",
                "problems_fixed": "5",
                "notes": "暗访发现问题已建立台账，限期整改。",
            },
            submit=True,
        )
    return issued.submissions.count()


def _from_a_data_check(actor: User, village: Area) -> int:
    """The first household of the village failing a data check, put on the list from the check."""
    from fupin.checks import catalogue

    ctx = catalogue.CheckContext.for_area(village)
    for check in catalogue.CHECKS.values():
        if check.severity != "error":
            continue
        record = check.failing(ctx).first()
        if record is None:
            continue
        household = record if check.target == "household" else record.household
        services.problem_from_check_failure(actor, check.code, household, {})
        return 1
    return 0
