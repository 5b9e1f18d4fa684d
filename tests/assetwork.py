"""What the asset tests share: a completed project, an asset input, the worked example's households."""

from __future__ import annotations

from typing import Any

from fupin.assets import services
from fupin.projects.models import Project, State


def completed_project(
    actor: Any, village: Any, *, code: str = "XM-2024-001", state: str = State.COMPLETED
) -> Project:
    """A project created through the ORM in the completed state (the procedure is fupin.projects' tests)."""
    return Project.objects.create(
        code=code,
        name="一村20千瓦光伏电站建设项目",
        category="industry",
        area=village,
        county=village.parent.parent,
        content="建设20千瓦村级光伏电站",
        implementing_unit="开通镇人民政府",
        unit_person="李镇长",
        months=4,
        year=2024,
        state=state,
        link_kind="asset_income",
        link_description="电站收益归村集体，优先用于脱贫户和监测户",
        proposed_by=actor,
    )


def solar_input(village: Any, project: Project | None = None, **changes: Any) -> services.AssetInput:
    values: dict[str, Any] = {
        "code": "ZC-220822100201-001",
        "name": "一村20千瓦村级光伏电站",
        "asset_class": "operating",
        "sub_type": "solar",
        "year_formed": 2024,
        "original_value_fen": 16_000_000,
        "area_code": village.code,
        "owner_level": "village",
        "owner_entity": "一村股份经济合作社",
        "status": "accepted",
        "project_id": project.pk if project else None,
        "maintenance_body": "一村村民委员会",
        "maintenance_person": "王管护",
        "beneficiaries": 10,
        "funding": {"central": 12_000_000, "county": 4_000_000},
    }
    values.update(changes)
    return services.AssetInput(**values)


def in_use(actor: Any, asset: Any) -> Any:
    """Accepted → rights registered → handed over → in use."""
    import datetime as dt

    services.change_status(actor=actor, asset=asset, to_status="rights_registered")
    services.record_handover(
        actor=actor,
        asset=asset,
        data=services.HandoverInput(
            dt.date(2024, 12, 20), "开通镇人民政府", "一村股份经济合作社", "开政移〔2024〕8号"
        ),
    )
    return services.change_status(actor=actor, asset=asset, to_status="in_use")
