"""Helpers, twinning quotas, task-force checks and visits through the services (fupin.twinning)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, StaleEdit
from fupin.pii.crypto import get_cipher
from fupin.registry import services as registry
from fupin.twinning import selectors, services
from fupin.twinning.models import Assignment, Helper, RankQuota, TaskForceMember, Visit, VisitPhoto

TODAY = dt.date.today()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def jpeg(name: str = "走访.jpg", content: bytes = JPEG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def make_helper(actor, area, *, name: str = "王科长", rank: str = "section", phone: str = "13900001111"):
    return services.create_helper(
        actor=actor, area_code=area.code, name=name, unit="县农业农村局", rank=rank, phone_number=phone
    )


def twin(actor, helper, household, started_on: dt.date = TODAY) -> Assignment:
    return services.assign(actor=actor, helper_id=helper.pk, household=household, started_on=started_on)


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


# ---------------------------------------------------------------- helpers


def test_a_helper_keeps_the_phone_encrypted_and_masked_and_the_audit_masked(place, county_officer):
    helper = make_helper(county_officer, place.county)
    assert helper.phone_masked == "139****1111"
    assert "13900001111" not in helper.phone_enc
    assert get_cipher().decrypt(helper.phone_enc) == "13900001111"
    entry = AuditEntry.objects.get(object_type="helper", object_id=str(helper.pk), action="create")
    assert "13900001111" not in str(entry.changes)
    assert entry.changes["phone"] == [None, "139****1111"]


def test_a_helper_with_bad_facts_is_refused_with_every_reason_and_nothing_saved(place, county_officer):
    with pytest.raises(InvalidInput) as refused:
        services.create_helper(
            actor=county_officer,
            area_code=place.county.code,
            name=" ",
            unit="",
            rank="nope",
            phone_number="123",
        )
    assert set(refused.value.field_errors) == {"name", "unit", "rank", "phone"}
    assert not Helper.objects.exists()


def test_only_the_county_manages_helpers_and_only_in_its_capture_area(place, county_officer, make_user):
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    with pytest.raises(NotPermitted):
        make_helper(cadre, place.village_a1)
    with pytest.raises(OutOfScope):
        make_helper(county_officer, place.other_county_village)
    assert not Helper.objects.exists()


def test_revealing_a_helpers_phone_is_audited(place, county_officer, make_user):
    helper = make_helper(county_officer, place.county)
    assert services.reveal_helper_phone(actor=county_officer, helper=helper) == "13900001111"
    assert AuditEntry.objects.filter(object_type="helper", action="reveal", object_id=str(helper.pk)).exists()
    viewer = make_user(Role.PROVINCE_VIEWER, place.county.code)
    with pytest.raises(NotPermitted):
        services.reveal_helper_phone(actor=viewer, helper=helper)


def test_a_village_cadre_sees_the_county_helpers_of_the_village_households_only(
    place, county_officer, village_cadre, household_factory
):
    ours = make_helper(county_officer, place.county, name="甲")
    theirs = make_helper(county_officer, place.county, name="乙")
    twin(county_officer, ours, household_factory(place.village_a1))
    twin(county_officer, theirs, household_factory(place.village_a2))
    assert list(selectors.helpers_for(village_cadre)) == [ours]
    assert set(selectors.helpers_for(county_officer)) == {ours, theirs}
    with pytest.raises(OutOfScope):
        selectors.get_helper(village_cadre, theirs.pk)


def test_a_stale_helper_edit_is_refused(place, county_officer):
    helper = make_helper(county_officer, place.county)
    services.update_helper(
        actor=county_officer,
        helper=helper,
        expected_version=1,
        name="王处长",
        unit="县委",
        rank="section",
        active=True,
    )
    with pytest.raises(StaleEdit):
        services.update_helper(
            actor=county_officer,
            helper=helper,
            expected_version=1,
            name="李",
            unit="县委",
            rank="section",
            active=True,
        )
    helper.refresh_from_db()
    assert (helper.name, helper.version) == ("王处长", 2)


# ---------------------------------------------------------------- quotas


def test_the_quota_of_the_rank_refuses_one_household_more_and_changes_nothing(
    place, county_officer, household_factory
):
    helper = make_helper(county_officer, place.county, rank="section")  # "321": section level takes 2
    first, second, third = (household_factory() for _ in range(3))
    twin(county_officer, helper, first)
    twin(county_officer, helper, second)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        twin(county_officer, helper, third)
    # The quota is the only reason: everything else about the request is valid.
    assert list(refused.value.field_errors) == ["helper"]
    (message,) = refused.value.field_errors["helper"]
    with translation.override("en"):
        assert "the county's quota for this rank is 2" in str(message)
    assert Assignment.objects.filter(helper=helper).count() == 2
    assert not Assignment.objects.filter(household=third).exists()
    assert AuditEntry.objects.count() == audit_before


def test_an_ended_twinning_frees_the_quota(place, county_officer, household_factory):
    helper = make_helper(county_officer, place.county, rank="general")  # general staff take 1
    first, second = household_factory(), household_factory()
    assignment = twin(county_officer, helper, first, TODAY - dt.timedelta(days=30))
    with pytest.raises(InvalidInput):
        twin(county_officer, helper, second)
    services.end_assignment(actor=county_officer, assignment=assignment, ended_on=TODAY, reason="调动")
    twin(county_officer, helper, second)
    assert [a.household for a in Assignment.objects.filter(helper=helper, ended_on__isnull=True)] == [second]


def test_the_county_sets_its_own_quotas(place, county_officer, household_factory):
    helper = make_helper(county_officer, place.county, rank="general")
    twin(county_officer, helper, household_factory())
    ranks = [
        services.RankInput(r.code, "", 2 if r.code == "general" else r.households)
        for r in selectors.ranks_for("220822")
    ]
    services.save_county_settings(
        actor=county_officer,
        county=place.county,
        expected_version=None,
        ranks=ranks,
        min_members=3,
        min_term_months=24,
        require_first_secretary=True,
    )
    assert RankQuota.objects.get(county=place.county, code="general").households == 2
    twin(county_officer, helper, household_factory())  # a second household now fits
    # Lowering the quota ends no twinning: the helper shows as over quota.
    ranks = [
        services.RankInput(r.code, "", 1 if r.code == "general" else r.households)
        for r in selectors.ranks_for("220822")
    ]
    services.save_county_settings(
        actor=county_officer,
        county=place.county,
        expected_version=1,
        ranks=ranks,
        min_members=3,
        min_term_months=24,
        require_first_secretary=True,
    )
    report = selectors.coverage(county_officer, place.county)
    assert [(row.helper, row.current, row.quota) for row in report.over_quota] == [(helper, 2, 1)]


def test_a_rank_that_helpers_have_cannot_be_removed(place, county_officer):
    make_helper(county_officer, place.county, rank="general")
    ranks = [
        services.RankInput(r.code, "", r.households, remove=r.code == "general")
        for r in selectors.ranks_for("220822")
    ]
    with pytest.raises(InvalidInput) as refused:
        services.save_county_settings(
            actor=county_officer,
            county=place.county,
            expected_version=None,
            ranks=ranks,
            min_members=3,
            min_term_months=24,
            require_first_secretary=True,
        )
    assert list(refused.value.field_errors) == ["rank_general_remove"]
    assert not RankQuota.objects.exists()


def test_a_helper_with_households_cannot_be_marked_gone(place, county_officer, household_factory):
    helper = make_helper(county_officer, place.county)
    twin(county_officer, helper, household_factory())
    with pytest.raises(InvalidInput) as refused:
        services.update_helper(
            actor=county_officer,
            helper=helper,
            expected_version=1,
            name=helper.name,
            unit=helper.unit,
            rank="section",
            active=False,
        )
    assert list(refused.value.field_errors) == ["active"]


# ---------------------------------------------------------------- coverage


def test_coverage_lists_monitored_and_lifted_out_households_without_a_current_helper(
    place, county_officer, household_factory
):
    lifted = household_factory(household_type="lifted_out", status="lifted")
    covered = household_factory(household_type="lifted_out", status="lifted")
    monitored = household_factory(place.village_b1)
    registry.change_monitoring(
        actor=county_officer,
        household=monitored,
        expected_version=monitored.version,
        category="marginal",
        risk_types=["illness"],
        effective_from=TODAY,
        reason="核实",
    )
    household_factory()  # an ordinary household needs no helper
    helper = make_helper(county_officer, place.county)
    twin(county_officer, helper, covered)
    report = selectors.coverage(county_officer, place.county)
    assert (report.households, report.uncovered_count) == (3, 2)
    assert {h.number for h in report.uncovered} == {lifted.number, monitored.number}
    by_area = {row.area.code: (row.households, row.uncovered) for row in report.by_area}
    assert by_area == {place.township_a.code: (2, 1), place.township_b.code: (1, 1)}


# ---------------------------------------------------------------- task forces


def member(actor, village, name: str, role: str = "member", months: int = 24, start: dt.date | None = None):
    start = start or TODAY - dt.timedelta(days=30)
    from fupin.core.clock import add_months

    return services.save_task_force_member(
        actor=actor,
        village=village,
        name=name,
        unit="县财政局",
        role=role,
        term_start=start,
        term_end=add_months(start, months),
    )


def checks_of(user, village) -> dict[str, bool]:
    (task_force,) = selectors.task_forces(user, [village])
    return {check.code: check.passed for check in task_force.checks}


@pytest.fixture
def passing_village(place, county_officer):
    member(county_officer, place.village_a1, "书记", "first_secretary")
    member(county_officer, place.village_a1, "队长", "captain")
    member(county_officer, place.village_a1, "队员")
    return place.village_a1


def test_a_village_task_force_that_meets_every_rule(county_officer, passing_village):
    assert checks_of(county_officer, passing_village) == {
        "members": True,
        "term": True,
        "first_secretary": True,
    }


def test_too_few_members_fails_alone(county_officer, passing_village):
    TaskForceMember.objects.filter(role="member").update(left_on=TODAY - dt.timedelta(days=1))
    assert checks_of(county_officer, passing_village) == {
        "members": False,
        "term": True,
        "first_secretary": True,
    }


def test_a_short_term_fails_alone(county_officer, passing_village):
    member(county_officer, passing_village, "短期", months=12)
    result = checks_of(county_officer, passing_village)
    assert result == {"members": True, "term": False, "first_secretary": True}
    (task_force,) = selectors.task_forces(county_officer, [passing_village])
    assert "短期" in str(task_force.failures[0].message)


def test_no_first_secretary_fails_alone(county_officer, passing_village):
    TaskForceMember.objects.filter(role="first_secretary").update(role="member")
    assert checks_of(county_officer, passing_village) == {
        "members": True,
        "term": True,
        "first_secretary": False,
    }


def test_the_task_force_rules_are_the_countys(place, county_officer, passing_village):
    services.save_county_settings(
        actor=county_officer,
        county=place.county,
        expected_version=None,
        ranks=[services.RankInput(r.code, "", r.households) for r in selectors.ranks_for("220822")],
        min_members=4,
        min_term_months=36,
        require_first_secretary=False,
    )
    assert checks_of(county_officer, passing_village) == {"members": False, "term": False}


def test_a_member_who_has_not_started_or_whose_term_is_over_does_not_serve(
    place, county_officer, passing_village
):
    member(county_officer, passing_village, "将来", start=TODAY + dt.timedelta(days=10))
    member(county_officer, passing_village, "往届", start=TODAY - dt.timedelta(days=900))
    (task_force,) = selectors.task_forces(county_officer, [passing_village])
    assert {m.name for m in task_force.current_members} == {"书记", "队长", "队员"}


def test_a_task_force_member_with_bad_dates_is_refused(place, county_officer):
    with pytest.raises(InvalidInput) as refused:
        services.save_task_force_member(
            actor=county_officer,
            village=place.village_a1,
            name="",
            unit="县委",
            role="boss",
            term_start=TODAY,
            term_end=TODAY - dt.timedelta(days=1),
        )
    assert set(refused.value.field_errors) == {"name", "role", "term_end"}
    assert not TaskForceMember.objects.exists()


def test_a_helping_unit_is_saved_and_audited(place, county_officer):
    unit = services.save_helping_unit(
        actor=county_officer,
        village=place.village_a1,
        name="县财政局",
        started_on=TODAY - dt.timedelta(days=400),
    )
    assert AuditEntry.objects.filter(object_type="helping_unit", object_id=str(unit.pk)).exists()
    (task_force,) = selectors.task_forces(county_officer, [place.village_a1])
    assert task_force.current_units == [unit] and task_force.twinned


# ---------------------------------------------------------------- visits


def test_a_visit_with_photos_keeps_them_under_media_root(place, village_cadre, household_factory, media):
    household = household_factory()
    visit = services.record_visit(
        actor=village_cadre,
        household=household,
        visited_on=TODAY,
        findings="家中有病人",
        follow_up="联系医保",
        risk_present=True,
        photos=[jpeg(), SimpleUploadedFile("门口.png", PNG, content_type="image/png")],
    )
    photos = list(visit.photos.all())
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    assert all(p.file.name.startswith(f"visits/{household.pk}/") for p in photos)
    assert "走访" not in photos[0].file.name  # the stored name is made up, never the upload's
    assert len(stored_files(media)) == 2
    assert visit.visitor_name == village_cadre.username
    assert selectors.last_visit_days(village_cadre, [household.pk]) == {household.pk: 0}


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg"),  # by content
        SimpleUploadedFile("photo.jpg", b"", content_type="image/jpeg"),
        SimpleUploadedFile("photo.png", JPEG + b"\x00" * 2000, content_type="image/png"),  # too large
    ],
    ids=["not-an-image", "empty", "too-large"],
)
def test_a_bad_photo_refuses_the_whole_visit_and_keeps_no_file(
    place, village_cadre, household_factory, media, settings, upload
):
    settings.TWINNING_PHOTO_MAX_BYTES = 1000
    household = household_factory()
    with pytest.raises(InvalidInput) as refused:
        services.record_visit(
            actor=village_cadre,
            household=household,
            visited_on=TODAY,
            findings="正常",
            risk_present=False,
            photos=[SimpleUploadedFile("good.png", PNG, content_type="image/png"), upload],
        )
    assert list(refused.value.field_errors) == ["photos"]
    assert not Visit.objects.exists() and not VisitPhoto.objects.exists()
    assert stored_files(media) == []


def test_too_many_photos_are_refused(place, village_cadre, household_factory, media, settings):
    settings.TWINNING_PHOTOS_PER_VISIT = 1
    with pytest.raises(InvalidInput) as refused:
        services.record_visit(
            actor=village_cadre,
            household=household_factory(),
            visited_on=TODAY,
            findings="正常",
            risk_present=False,
            photos=[jpeg(), jpeg()],
        )
    assert list(refused.value.field_errors) == ["photos"]
    assert stored_files(media) == []


def test_a_visit_needs_its_facts_and_a_helper_twinned_on_the_day(
    place, county_officer, village_cadre, household_factory
):
    household = household_factory()
    helper = make_helper(county_officer, place.county)
    with pytest.raises(InvalidInput) as refused:
        services.record_visit(
            actor=village_cadre,
            household=household,
            visited_on=TODAY + dt.timedelta(days=1),
            findings=" ",
            risk_present=None,
            helper_id=helper.pk,
        )
    assert set(refused.value.field_errors) == {"visited_on", "findings", "risk_present", "helper"}
    twin(county_officer, helper, household, TODAY - dt.timedelta(days=10))
    visit = services.record_visit(
        actor=village_cadre,
        household=household,
        visited_on=TODAY - dt.timedelta(days=3),
        findings="收入稳定",
        risk_present=False,
        helper_id=helper.pk,
    )
    assert (visit.helper, visit.visitor_name) == (helper, helper.name)
    with pytest.raises(InvalidInput):  # before the twinning started
        services.record_visit(
            actor=village_cadre,
            household=household,
            visited_on=TODAY - dt.timedelta(days=20),
            findings="x",
            risk_present=False,
            helper_id=helper.pk,
        )


def test_visits_are_recorded_in_the_capture_area_only(place, household_factory, make_user):
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a2.code)
    viewer = make_user(Role.PROVINCE_VIEWER, place.county.code)
    household = household_factory(place.village_a1)
    with pytest.raises(OutOfScope):
        services.record_visit(
            actor=cadre, household=household, visited_on=TODAY, findings="x", risk_present=False
        )
    with pytest.raises(NotPermitted):
        services.record_visit(
            actor=viewer, household=household, visited_on=TODAY, findings="x", risk_present=False
        )
    assert not Visit.objects.exists()
