"""Record linkage (fupin.linkage): quality on a generated truth set, review queue, duplicate merging."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.core.errors import OutOfScope
from fupin.feeds.models import FeedBatch, FeedRecord
from fupin.linkage import model, services, synth
from fupin.linkage.models import Decision, DuplicateCandidate, LinkCandidate
from fupin.pii.crypto import get_cipher
from fupin.registry import services as registry
from fupin.registry.models import Member
from tests.conftest import valid_id


def test_linker_meets_the_targets_on_a_generated_truth_set():
    truth_set = synth.generate(people=2000, records=2000, seed=7)
    result = model.link_records(truth_set.records.drop(columns="hard"), truth_set.people, threads=2)
    evaluation = model.evaluate(result, truth_set.truth)
    assert evaluation.precision >= 0.99, evaluation.as_dict()
    assert evaluation.recall >= 0.97, evaluation.as_dict()


def test_names_are_compared_by_sound_and_variant_characters():
    assert model.normalize_name("王 玉蘭") == "王玉兰"
    assert model.name_pinyin("王淑芬") == model.name_pinyin("王书分") == "wang shu fen"


def _member(actor, village, number: str, name: str, birth: dt.date, id_number: str, relation="head"):
    household = registry.create_household(
        actor=actor,
        number=f"{village.code}-{number}",
        village_code=village.code,
        household_type="ordinary",
        status="normal",
    )
    return registry.add_member(
        actor=actor,
        household=household,
        values={
            "name": name,
            "sex": "F",
            "birth_date": birth,
            "relation": relation,
            "labour_capacity": "ordinary",
        },
        id_number=id_number,
    )


def _record(batch, name: str, id_number: str) -> FeedRecord:
    cipher = get_cipher()
    return FeedRecord.objects.create(
        batch=batch,
        kind=batch.kind,
        id_number_enc=cipher.encrypt(id_number),
        id_number_bidx=cipher.blind_index("id", id_number),
        id_number_masked=id_number[:4] + "**********" + id_number[-4:],
        name=name,
        event_date=dt.date(2026, 3, 1),
        source_row=2,
    )


@pytest.mark.django_db
def test_a_mistyped_id_number_is_linked_and_a_doubtful_one_is_queued(client, place, county_officer):
    birth = dt.date(1968, 4, 2)
    number = valid_id(birth=birth, sequence=232)
    member = _member(county_officer, place.village_a1, "1", "李淑芬", birth, number)
    other = _member(
        county_officer,
        place.village_a2,
        "2",
        "张桂兰",
        dt.date(1970, 1, 5),
        valid_id(birth=dt.date(1970, 1, 5), sequence=224),
    )
    batch = FeedBatch.objects.create(kind="medical", file_name="bills.csv")
    swapped = number[:14] + number[15] + number[14] + number[16:]  # two digits transposed
    sure = _record(batch, "李书芬", swapped)
    doubtful = _record(batch, "张桂兰", valid_id(birth=dt.date(1971, 1, 5), sequence=398))

    summary = services.link_unlinked_records(actor=county_officer)

    sure.refresh_from_db()
    assert sure.member_id == member.pk and sure.household_id == member.household_id
    assert summary.linked == 1
    assert AuditEntry.objects.filter(action="linkage.run").exists()
    assert "李淑芬" not in str(
        AuditEntry.objects.filter(action="linkage.run").values_list("summary", "changes")
    )
    candidate = LinkCandidate.objects.filter(record=doubtful).first()
    if candidate is None:  # scored below the review band: reported unmatched
        assert summary.unmatched >= 1
        candidate = LinkCandidate.objects.create(record=doubtful, member=other, probability=0.7)
    client.force_login(county_officer)
    assert "张桂兰" in client.get(reverse("linkage:links")).content.decode()
    response = client.post(reverse("linkage:decide", args=[candidate.pk]), {"decision": "accept"})
    assert response.status_code == 302
    doubtful.refresh_from_db()
    candidate.refresh_from_db()
    assert doubtful.member_id == other.pk and candidate.status == Decision.ACCEPTED
    assert AuditEntry.objects.filter(action="linkage.accept", object_id=str(doubtful.pk)).exists()


@pytest.fixture
def duplicate_pair(place, county_officer):
    birth = dt.date(1955, 9, 30)
    number = valid_id(birth=birth, sequence=84)
    kept = _member(county_officer, place.village_a1, "3", "王玉兰", birth, number)
    head = _member(county_officer, place.village_a1, "4", "赵德才", dt.date(1950, 2, 2), "")
    Member.objects.filter(pk=head.pk).update(sex="M")
    copy = registry.add_member(
        actor=county_officer,
        household=head.household,
        values={
            "name": "王玉蘭",
            "sex": "F",
            "birth_date": birth,
            "relation": "spouse",
            "labour_capacity": "ordinary",
        },
        id_number="",
    )
    return kept, copy


@pytest.mark.django_db
def test_a_duplicate_is_listed_merged_and_audited(client, county_officer, duplicate_pair):
    kept, copy = duplicate_pair
    assert services.find_duplicates(actor=county_officer) >= 1
    pair = DuplicateCandidate.objects.get(first=min(kept, copy, key=lambda m: m.pk))
    client.force_login(county_officer)
    page = client.get(reverse("linkage:duplicates")).content.decode()
    assert "王玉蘭" in page and reverse("linkage:merge", args=[pair.pk]) in page

    response = client.post(reverse("linkage:merge", args=[pair.pk]), {"keep": kept.pk})
    assert response.status_code == 302
    copy.refresh_from_db()
    kept.refresh_from_db()
    pair.refresh_from_db()
    assert copy.exit_reason == "other" and copy.exit_date is not None and not kept.exit_reason
    assert pair.status == Decision.ACCEPTED and pair.kept_id == kept.pk
    entry = AuditEntry.objects.get(action="linkage.merge")
    assert entry.object_id == str(copy.pk) and entry.changes["kept"] == kept.pk
    assert Member.objects.filter(pk=copy.pk).exists()  # nothing deleted


@pytest.mark.django_db
def test_a_merge_outside_the_capture_scope_is_refused(
    client, make_user, place, county_officer, duplicate_pair
):
    kept, copy = duplicate_pair
    services.find_duplicates(actor=county_officer)
    pair = DuplicateCandidate.objects.get()
    outsider = make_user(Role.VILLAGE_CADRE, place.village_a2.code)
    with pytest.raises(OutOfScope):
        services.merge_duplicate(actor=outsider, candidate_id=pair.pk, keep_id=kept.pk)
    viewer = make_user(Role.COUNTY_OFFICER, "220822", capture=False)
    with pytest.raises(OutOfScope):
        services.merge_duplicate(actor=viewer, candidate_id=pair.pk, keep_id=kept.pk)
    client.force_login(outsider)
    assert client.post(reverse("linkage:merge", args=[pair.pk]), {"keep": kept.pk}).status_code == 404
    assert client.post(reverse("linkage:reject", args=[pair.pk])).status_code == 404
    assert "王玉蘭" not in client.get(reverse("linkage:duplicates")).content.decode()
    copy.refresh_from_db()
    assert copy.exit_reason == "" and DuplicateCandidate.objects.get().status == Decision.PENDING


def test_matching_from_the_page_runs_in_the_worker_and_the_page_follows_it(
    client, place, county_officer, settings
):
    """A county's records take longer than a page may wait: the button queues the matching, the page
    says it waits and polls, and once the worker has run it the page gives the counts."""
    from django_tasks_db.models import DBTaskResult

    from fupin.linkage import jobs
    from fupin.linkage.models import LinkageRun

    settings.LINKAGE_IN_BACKGROUND = True
    birth = dt.date(1968, 4, 2)
    number = valid_id(birth=birth, sequence=232)
    member = _member(county_officer, place.village_a1, "1", "李淑芬", birth, number)
    batch = FeedBatch.objects.create(kind="medical", file_name="bills.csv")
    sure = _record(batch, "李书芬", number[:14] + number[15] + number[14] + number[16:])
    client.cookies["django_language"] = "en"
    client.force_login(county_officer)

    response = client.post(reverse("linkage:run"), follow=True)
    run = LinkageRun.objects.get()
    page = response.content.decode()
    assert run.status == "queued" and "waiting for the background worker" in page
    assert 'hx-trigger="every 2s"' in page and "disabled" in page
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["kwargs"] == {"kind": "linkage", "args": {"run_id": run.pk}}
    sure.refresh_from_db()
    assert sure.member_id is None  # nothing linked in the request
    assert client.post(reverse("linkage:run"), follow=True).redirect_chain  # a second press: told to wait
    assert LinkageRun.objects.count() == 1

    jobs.run(run_id=run.pk)  # what the worker does
    run.refresh_from_db()
    sure.refresh_from_db()
    assert (run.status, run.linked) == ("finished", 1) and sure.member_id == member.pk
    page = client.get(reverse("linkage:links")).content.decode()
    assert "1 records linked" in page and "every 2s" not in page


def test_a_matching_whose_worker_keeps_dying_fails_with_the_reason_and_links_nothing(
    client, place, county_officer, settings
):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from fupin.jobs import services as jobs
    from fupin.jobs.models import WorkerBeat
    from fupin.linkage.models import LinkageRun

    settings.LINKAGE_IN_BACKGROUND = True
    batch = FeedBatch.objects.create(kind="medical", file_name="bills.csv")
    _record(batch, "李书芬", valid_id(sequence=77))
    client.cookies["django_language"] = "zh-hans"
    client.force_login(county_officer)
    client.post(reverse("linkage:run"))
    queued = DBTaskResult.objects.get()
    WorkerBeat.objects.create(
        worker_id="w1", host="elsewhere", pid=1, seen_at=timezone.now() - dt.timedelta(hours=1)
    )
    queued.status, queued.worker_ids = "RUNNING", ["w1", "w2", "w3"]
    queued.save()
    assert jobs.sweep() == {"retried": 0, "failed": 1}
    run = LinkageRun.objects.get()
    assert run.status == "failed" and jobs.stopped(run.error)
    assert not FeedRecord.objects.filter(member__isnull=False).exists() and not LinkCandidate.objects.exists()
    page = client.get(reverse("linkage:links")).content.decode()
    assert "匹配失败" in page and "后台任务进程" in page and "every 2s" not in page
    assert client.post(reverse("linkage:run")).status_code == 302  # may be started again
    assert LinkageRun.objects.count() == 2
