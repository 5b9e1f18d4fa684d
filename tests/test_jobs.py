"""Background jobs (fupin.jobs): a real worker killed halfway through a screening run, then another.

The first test runs ``fupin worker`` as a subprocess against a file database (SQLite, or PostgreSQL
when FUPIN_DATABASE_URL points at it), SIGKILLs it while the run is under way, starts a second worker
and checks that the run was tried again to its end with every clue written once, or failed with its
reason and no clue: never half-applied. The others check the sweep's decisions and the pages in-process.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.scratch_postgres import ScratchPostgres

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.xdist_group("jobs-worker")

# Demo county, every earlier clue closed so that the run opens them all again, then the run queued.
SETUP = """
import django; django.setup()
from fupin.jobs import services as jobs
from fupin.screening import services
from fupin.screening.models import ClueStatus, RiskClue
RiskClue.objects.update(status=ClueStatus.CLOSED)
run = services.start_screening(actor=None, area_code="220822")
jobs.enqueue("screening", run_id=run.pk)
print(run.pk)
"""

# Kill the worker (argv[2]) as soon as the run (argv[1]) is under way: reading or evaluating the registry.
KILL_HALFWAY = """
import os, signal, sys, time
import django; django.setup()
from fupin.screening.models import ScreeningRun
run_id, pid = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 40
while time.monotonic() < deadline:
    run = ScreeningRun.objects.get(pk=run_id)
    if run.status != "running":
        print("finished-before-kill", run.status); sys.exit(1)
    if run.stage in ("snapshot", "evaluate", "clues"):
        os.kill(pid, signal.SIGKILL)
        print("killed", run.stage); sys.exit(0)
    time.sleep(0.01)
print("never-started"); sys.exit(1)
"""

# After the second worker: the run, its clues, and the queue's record of the job.
OUTCOME = """
import json, sys, time
import django; django.setup()
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from fupin.screening.models import ClueStatus, RiskClue, ScreeningRun
run_id, wait = int(sys.argv[1]), float(sys.argv[2])
run = ScreeningRun.objects.get(pk=run_id)
deadline = time.monotonic() + wait
while run.status == "running" and time.monotonic() < deadline:
    time.sleep(0.2)
    run = ScreeningRun.objects.get(pk=run_id)
job = DBTaskResult.objects.get(task_path="fupin.jobs.tasks.run_job", args_kwargs__kwargs__kind="screening")
opened = RiskClue.objects.filter(status=ClueStatus.OPEN).values("household")
twice = opened.annotate(n=Count("id")).filter(n__gt=1)
print(json.dumps({
    "status": run.status, "error": run.error, "new_clues": run.new_clues,
    "clues": RiskClue.objects.filter(run=run).count(), "open_twice": twice.count(),
    "job": job.status, "attempts": len(job.worker_ids),
}))
"""


def _run(env: dict[str, str], args: list[str]) -> str:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "fupin.cli", "worker", "--interval", "0.1"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_a_worker_killed_halfway_leaves_the_run_to_the_next_worker_whole(tmp_path):
    import json

    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_TEST_")}
    env.update(
        FUPIN_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="fupin.settings",
        FUPIN_JOBS_RUN_NOW="0",
        FUPIN_INDICATORS_AUTO_REBUILD="0",
        PYTHONUNBUFFERED="1",
    )
    given = os.environ.get("FUPIN_DATABASE_URL", "")
    postgres = (
        ScratchPostgres(given, "fupin_hjobs") if given.startswith(("postgres://", "postgresql://")) else None
    )
    if postgres is not None:
        postgres.create()
        env["FUPIN_DATABASE_URL"] = postgres.url
    else:
        env["FUPIN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    log = tmp_path / "worker.log"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        _run(env, [sys.executable, "-m", "fupin.cli", "migrate", "--no-input"])
        commands = {**env, "FUPIN_JOBS_RUN_NOW": "1"}
        _run(commands, [sys.executable, "-m", "fupin.cli", "demo-data", "--households", "1000"])
        run_id = _run(env, [sys.executable, "-c", SETUP]).split()[-1]

        workers.append(_worker(env, log))
        killer = subprocess.run(
            [sys.executable, "-c", KILL_HALFWAY, run_id, str(workers[0].pid)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert killer.returncode == 0, killer.stdout + killer.stderr + log.read_text()
        assert workers[0].wait(timeout=10) == -signal.SIGKILL

        half = json.loads(_run(env, [sys.executable, "-c", OUTCOME, run_id, "0"]))
        assert half["status"] == "running" and half["clues"] == 0, half  # nothing of the run was written

        workers.append(_worker(env, log))
        outcome = json.loads(_run(env, [sys.executable, "-c", OUTCOME, run_id, "40"]))
        assert outcome["job"] == "SUCCESSFUL" and outcome["attempts"] == 2, (outcome, log.read_text())
        assert outcome["status"] == "finished", outcome
        assert outcome["clues"] == outcome["new_clues"] > 0, outcome  # every clue once, none half
        assert outcome["open_twice"] == 0, outcome
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
        if postgres is not None:
            postgres.drop()


# ------------------------------------------------------------------ the sweep and the pages, in-process


def _running_job(kind: str, args: dict, worker_ids: list[str]):
    """A job row as a worker leaves it when it is killed while the job runs."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.create(
        id=uuid.uuid4(),
        args_kwargs={"args": [], "kwargs": {"kind": kind, "args": args}},
        task_path="fupin.jobs.tasks.run_job",
        queue_name="default",
        backend_name="default",
        status="RUNNING",
        started_at=timezone.now(),
        worker_ids=worker_ids,
    )


@pytest.fixture
def county(place, household_factory):
    """Two households in two villages: enough for the indicator tables to have rows."""
    return [household_factory(place.village_a1), household_factory(place.village_b1)]


def _login(client, user, language="en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def test_a_run_queued_from_the_page_waits_then_fails_with_the_reason_when_its_workers_keep_dying(
    client, place, county_officer, settings
):
    from django_tasks_db.models import DBTaskResult

    from fupin.jobs import services as jobs
    from fupin.jobs.models import WorkerBeat
    from fupin.screening.models import RiskClue, ScreeningRun

    settings.SCREENING_IN_BACKGROUND = True
    officer = county_officer
    _login(client, officer)
    response = client.post(reverse("screening:start"), {"area": "220822"})
    run = ScreeningRun.objects.get()
    assert response["Location"] == reverse("screening:run", args=[run.pk])
    queued = DBTaskResult.objects.get()
    assert queued.status == "READY" and queued.args_kwargs["kwargs"] == {
        "kind": "screening",
        "args": {"run_id": run.pk, "policy": None},
    }
    page = client.get(response["Location"]).content.decode()
    assert "waiting to start" in page and 'hx-trigger="every 1s"' in page  # queued, and the page polls

    # A worker took it and died (its beat is old); under the limit of attempts, it waits again.
    long_ago = timezone.now() - dt.timedelta(hours=1)
    WorkerBeat.objects.create(worker_id="w1", host="elsewhere", pid=1, seen_at=long_ago)
    queued.status, queued.worker_ids = "RUNNING", ["w1"]
    queued.save()
    ScreeningRun.objects.filter(pk=run.pk).update(stage="evaluate", percent=40)
    assert "applying the rules" in client.get(response["Location"]).content.decode()  # running
    assert jobs.sweep() == {"retried": 1, "failed": 0}
    queued.refresh_from_db()
    run.refresh_from_db()
    assert queued.status == "READY" and run.status == "running" and run.stage == "queued"

    # The third worker dies too: the job fails, and so does the run, with the reason on its page.
    queued.status, queued.worker_ids = "RUNNING", ["w1", "w2", "w3"]
    queued.save()
    assert jobs.sweep() == {"retried": 0, "failed": 1}
    queued.refresh_from_db()
    run.refresh_from_db()
    assert queued.status == "FAILED" and queued.exception_class_path == "fupin.jobs.services.WorkerStopped"
    assert run.status == "failed" and jobs.stopped(run.error) and not RiskClue.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "the worker stopped while the job ran" in page.lower() and "every 1s" not in page
    chinese = _login(client, officer, "zh-hans").get(response["Location"]).content.decode()
    assert "后台任务进程" in chinese


def test_a_job_whose_worker_is_alive_is_left_alone(db):
    from fupin.jobs import services as jobs

    jobs.beat("me")
    job = _running_job("screening", {"run_id": 1, "policy": None}, ["me"])
    assert jobs.sweep() == {"retried": 0, "failed": 0}
    job.refresh_from_db()
    assert job.status == "RUNNING"
    jobs.leave("me")


def test_an_interrupted_rebuild_is_cleared_and_rebuilt_like_a_clean_one(county, settings):
    """A killed rebuild leaves rows of a build no page reads; the next attempt clears them first, and the
    figures equal those of a rebuild that was never interrupted."""
    from fupin.indicators import jobs as rebuild_jobs
    from fupin.indicators import selectors
    from fupin.indicators import services as indicators
    from fupin.indicators.models import AreaFigures, Build, BuildState
    from fupin.jobs import services as jobs

    clean = indicators.rebuild(trigger="test")
    clean_values = {f.code: f.values for f in AreaFigures.objects.filter(build=clean)}

    settings.INDICATORS_IN_BACKGROUND = True
    build = indicators.start_from_page()
    assert build.stage == "" or Build.objects.get(pk=build.pk).stage == "queued"
    AreaFigures.objects.create(build=build, code="220822", level=3, parent="2208", values={"half": 1})
    _running_job("indicators", {"build_id": build.pk, "trigger": "page"}, ["dead"])
    assert selectors.current_build() == clean  # pages never read the half-written build
    assert jobs.sweep() == {"retried": 1, "failed": 0}
    assert not AreaFigures.objects.filter(build=build).exists()
    rebuild_jobs.run(build_id=build.pk, trigger="page")
    build.refresh_from_db()
    assert build.state == BuildState.CURRENT
    values = {f.code: f.values for f in AreaFigures.objects.filter(build=build)}
    assert values == clean_values


def test_a_rebuild_given_up_says_so_on_the_dashboard(client, county, county_officer, settings):
    from fupin.indicators import services as indicators
    from fupin.indicators.models import BuildState
    from fupin.jobs import services as jobs

    settings.INDICATORS_IN_BACKGROUND = True
    _login(client, county_officer)
    build = indicators.start_from_page()
    status = client.get(reverse("dashboard:status")).content.decode()
    assert "waiting to start" in status and "every 2s" in status
    _running_job("indicators", {"build_id": build.pk, "trigger": "page"}, ["a", "b", "c"])
    assert jobs.sweep()["failed"] == 1
    build.refresh_from_db()
    assert build.state == BuildState.FAILED and jobs.stopped(build.error)
    status = client.get(reverse("dashboard:status")).content.decode()
    assert "The worker stopped while the job ran" in status


def test_text_messages_wait_in_the_queue_encrypted(db, settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    from fupin.cases import jobs as sms_jobs
    from fupin.cases import sms

    settings.SMS_IN_BACKGROUND = True
    settings.SMS_OUTBOX = tmp_path / "outbox.log"
    sms.queue("13912345678", "Your confirmation code is 123456")
    row = DBTaskResult.objects.get()
    stored = str(row.args_kwargs)
    assert "13912345678" not in stored and "123456" not in stored
    assert not settings.SMS_OUTBOX.exists()
    sms_jobs.run(**row.args_kwargs["kwargs"]["args"])
    assert "139****5678" in settings.SMS_OUTBOX.read_text() and "123456" in settings.SMS_OUTBOX.read_text()


def test_commands_carry_their_jobs_out_at_once(db, settings):
    """``fupin`` commands set FUPIN_JOBS_RUN_NOW: the job is done before enqueue returns."""
    from django_tasks_db.models import DBTaskResult

    from fupin.jobs import services as jobs

    done: list[int] = []
    jobs.register(jobs.Kind("test-now", lambda n: done.append(n)))
    settings.JOBS_RUN_NOW = True
    assert jobs.enqueue("test-now", n=1) is None and done == [1]
    assert not DBTaskResult.objects.exists()
