"""The indicator rebuild as a background job: a build is written aside and swapped in, so a worker that
stops halfway leaves only rows of a build no page reads; they are cleared before another attempt."""

from __future__ import annotations

from django.utils import timezone

from fupin.indicators.models import AreaFigures, Build, BuildState
from fupin.jobs.services import Kind, register


def run(build_id: int, trigger: str = "change") -> None:
    from fupin.indicators.services import rebuild

    build = Build.objects.filter(pk=build_id, state=BuildState.BUILDING).first()
    if build is None:  # swapped in already, or given up
        return
    AreaFigures.objects.filter(build=build).delete()
    rebuild(trigger=trigger, build=build)


def retry(build_id: int, trigger: str = "change") -> None:
    AreaFigures.objects.filter(build_id=build_id).delete()
    Build.objects.filter(pk=build_id, state=BuildState.BUILDING).update(stage="queued", percent=0)


def give_up(reason: str, build_id: int, trigger: str = "change") -> None:
    AreaFigures.objects.filter(build_id=build_id).delete()
    Build.objects.filter(pk=build_id, state=BuildState.BUILDING).update(
        state=BuildState.FAILED, error=reason, finished_at=timezone.now()
    )


register(Kind("indicators", run, background_setting="INDICATORS_IN_BACKGROUND", retry=retry, give_up=give_up))
