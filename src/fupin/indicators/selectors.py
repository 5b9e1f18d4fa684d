"""Reading the indicator tables: the current build, an area's figures, its children, its months."""

from __future__ import annotations

from fupin.indicators.models import AreaFigures, Build, BuildState


def current_build() -> Build | None:
    return Build.objects.filter(state=BuildState.CURRENT).order_by("-finished_at", "-id").first()


def build_of_month(period: str) -> Build | None:
    """The figures reported for a month: the current build if it is that month's, else the kept one."""
    return (
        Build.objects.filter(period=period, state__in=(BuildState.CURRENT, BuildState.KEPT))
        .order_by("-finished_at", "-id")
        .first()
    )


def latest_build() -> Build | None:
    """The newest build in any state (for a page that follows a rebuild)."""
    return Build.objects.order_by("-started_at", "-id").first()


def figures(build: Build, code: str) -> AreaFigures | None:
    return AreaFigures.objects.filter(build=build, code=code).first()


def children(build: Build, code: str) -> list[AreaFigures]:
    return list(AreaFigures.objects.filter(build=build, parent=code).order_by("code"))


def of_codes(build: Build, codes: list[str]) -> dict[str, AreaFigures]:
    return {row.code: row for row in AreaFigures.objects.filter(build=build, code__in=codes)}


def history(code: str, months: int = 24, until: str = "9999-12") -> list[tuple[str, dict[str, object]]]:
    """(period, values) of the area in each month's reported build up to ``until``, oldest first."""
    rows = (
        AreaFigures.objects.filter(
            code=code, build__state__in=(BuildState.CURRENT, BuildState.KEPT), build__period__lte=until
        )
        .select_related("build")
        .order_by("-build__period", "-build__finished_at")
    )
    by_period: dict[str, dict[str, object]] = {}
    for row in rows[: months * 2]:
        by_period.setdefault(row.build.period, row.values)
    return sorted(by_period.items())[-months:]
