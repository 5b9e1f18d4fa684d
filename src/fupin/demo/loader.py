"""Write a generated demo county to the database: bulk inserts in batches, one transaction.

ID numbers and phones are stored the way the registry services store them (encrypted, with a blind
index and a masked form); the type and monitoring histories get their dated rows; the households'
assistance plans, helpers, task forces and visits follow (``fupin.demo.assistance``); six demo
accounts, one per role, are created; and the whole load is ONE audit entry with counts only. Going
through the per-record services would write an audit entry per row and take minutes, so the loader
writes the tables directly and relies on the generator producing valid values (the tests check both).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import services as accounts
from fupin.accounts.models import User
from fupin.accounts.roles import Role
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core.errors import ServiceError
from fupin.core.i18n import lazy_format
from fupin.demo import assistance as demo_assistance
from fupin.demo import feeds as demo_feeds
from fupin.demo import generator
from fupin.domain import idnumber, phone
from fupin.feeds.models import FeedBatch, FeedRecord
from fupin.feeds.services import link_people, new_record
from fupin.pii.crypto import get_cipher
from fupin.registry.models import (
    Household,
    HouseholdTypeHistory,
    IncomeRecord,
    Member,
    MonitoringHistory,
)

# The demo accounts' password, printed by ``fupin demo-data``. Demo only: never on a real server.
DEMO_PASSWORD = "fupin-demo-2025"

# username, role, which area (village, township, county or province), display name
DEMO_ACCOUNTS: list[tuple[str, str, str, str]] = [
    ("demo-village", Role.VILLAGE_CADRE, "village", "演示村干部"),
    ("demo-township", Role.TOWNSHIP_OFFICER, "township", "演示乡镇干部"),
    ("demo-county", Role.COUNTY_OFFICER, "county", "演示县乡村振兴局干部"),
    ("demo-admin", Role.COUNTY_ADMIN, "county", "演示县级管理员"),
    ("demo-department", Role.DEPARTMENT_USER, "county", "演示行业部门用户"),
    ("demo-province", Role.PROVINCE_VIEWER, "province", "演示省级查看用户"),
    ("demo-reviewer", Role.BENEFIT_REVIEWER, "county", "演示补贴审核人员"),
]

BATCH_SIZE = 1000
SOURCE = "demo"

Progress = Callable[[int, int], None]


class DemoDataError(ServiceError):
    pass


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    area_code: str
    area_name: str
    password: str  # empty when someone has changed the demo password


@dataclass
class LoadSummary:
    county_code: str
    county_name: str
    seed: int
    townships_created: int = 0
    villages_created: int = 0
    households: int = 0
    members: int = 0
    income_records: int = 0
    type_history: int = 0
    monitoring_history: int = 0
    monitoring_objects: int = 0
    feed_records: int = 0
    feed_records_linked: int = 0
    measures: int = 0
    helpers: int = 0
    twinnings: int = 0
    helping_units: int = 0
    task_force_members: int = 0
    visits: int = 0
    generate_seconds: float = 0.0
    write_seconds: float = 0.0
    logins: list[DemoLogin] = field(default_factory=list)


def county_or_error(county_code: str) -> Area:
    county = Area.objects.filter(code=county_code, level=AreaLevel.COUNTY).first()
    if county is None:
        raise DemoDataError(
            lazy_format(
                _("There is no county with code %(code)s. Give a 6-digit county code, e.g. 220822."),
                code=county_code,
            )
        )
    return county


def county_household_count(county_code: str) -> int:
    return Household.objects.filter(village__county_code=county_code).count()


def check_can_load(county_code: str, *, households: int = 1) -> Area:
    """The county, if demo data may be loaded into it: it exists and has no households yet."""
    county = county_or_error(county_code)
    if county_household_count(county_code):
        raise DemoDataError(
            lazy_format(_("County %(code)s already has households: nothing was loaded."), code=county_code)
        )
    if households < 1:
        raise DemoDataError(_("Give a number of households of at least 1."))
    return county


def load_demo_county(
    *,
    county_code: str = generator.DEFAULT_COUNTY_CODE,
    households: int = 20_000,
    seed: int = 2024,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> LoadSummary:
    """Generate and write a demo county; all or nothing. The county must exist and be empty."""
    county = check_can_load(county_code, households=households)
    as_of = as_of or timezone.localdate()

    started = time.perf_counter()
    existing = list(
        Area.objects.filter(county_code=county_code, level__in=[AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])
    )
    existing_villages = [
        generator.AreaRecord(a.code, a.name) for a in existing if a.level == AreaLevel.VILLAGE
    ]
    existing_townships = [
        generator.AreaRecord(a.code, a.name) for a in existing if a.level == AreaLevel.TOWNSHIP
    ]
    data = generator.generate(
        county_code=county_code,
        county_name=county.name,
        households=households,
        seed=seed,
        as_of=as_of,
        townships=existing_townships or None,
        villages=existing_villages or None,
        other_id_areas=_other_id_areas(county),
    )
    feed_rows = demo_feeds.generate_feeds(data, seed=seed)
    summary = LoadSummary(county_code=county_code, county_name=county.name, seed=seed)
    summary.generate_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        villages = _write_areas(county, data, summary)
        household_ids = _write_households(data.households, villages, summary, progress, batch_size)
        _write_feeds(feed_rows, summary, batch_size)
        _write_assistance(county, data, villages, household_ids, summary, batch_size)
        summary.logins = _ensure_demo_accounts(county, data)
        audit.record(
            actor="demo-data",
            action="import",
            object_type="demo_data",
            object_id=county_code,
            area_code=county_code,
            summary=f"demo data loaded for {county_code}: {summary.households} households",
            changes={
                "seed": seed,
                "as_of": as_of.isoformat(),
                "townships_created": summary.townships_created,
                "villages_created": summary.villages_created,
                "households": summary.households,
                "members": summary.members,
                "income_records": summary.income_records,
                "type_history": summary.type_history,
                "monitoring_history": summary.monitoring_history,
                "monitoring_objects": summary.monitoring_objects,
                "feed_records": summary.feed_records,
                "feed_records_linked": summary.feed_records_linked,
                "measures": summary.measures,
                "helpers": summary.helpers,
                "twinnings": summary.twinnings,
                "helping_units": summary.helping_units,
                "task_force_members": summary.task_force_members,
                "visits": summary.visits,
            },
        )
    summary.write_seconds = time.perf_counter() - started
    return summary


def _other_id_areas(county: Area) -> list[tuple[str, float]] | None:
    """Counties whose codes start some members' ID numbers: neighbours in the same prefecture."""
    if county.code == generator.DEFAULT_COUNTY_CODE:
        return None  # the generator's own list of Jilin counties
    codes = Area.objects.filter(level=AreaLevel.COUNTY, province_code=county.province_code).exclude(
        code=county.code
    )
    return [
        (code, 5.0 if code[:4] == county.code[:4] else 1.0) for code in codes.values_list("code", flat=True)
    ]


def _write_areas(county: Area, data: generator.DemoCounty, summary: LoadSummary) -> dict[str, Area]:
    """Create the townships and villages that do not exist yet; return every village by code."""
    codes = [a.code for a in data.townships] + [a.code for a in data.villages]
    existing = Area.objects.in_bulk(codes, field_name="code")
    new_townships = []
    for record in data.townships:
        if record.code not in existing:
            area = Area(code=record.code, name=record.name, parent=county, source=SOURCE)
            area.fill_derived()
            new_townships.append(area)
    Area.objects.bulk_create(new_townships)
    summary.townships_created = len(new_townships)
    townships = Area.objects.in_bulk([a.code for a in data.townships], field_name="code")
    new_villages = []
    for record in data.villages:
        if record.code not in existing:
            # Every village's township is in ``data.townships``: generated, or read from the database.
            area = Area(code=record.code, name=record.name, parent=townships[record.code[:9]], source=SOURCE)
            area.fill_derived()
            new_villages.append(area)
    Area.objects.bulk_create(new_villages)
    summary.villages_created = len(new_villages)
    return Area.objects.in_bulk([a.code for a in data.villages], field_name="code")


def _packed(risk_types: Sequence[str]) -> str:
    return "," + ",".join(risk_types) + "," if risk_types else ""


def _write_households(
    records: list[generator.HouseholdRecord],
    villages: dict[str, Area],
    summary: LoadSummary,
    progress: Progress | None,
    batch_size: int,
) -> dict[str, int]:
    """Write the households with their members, incomes and histories; their ids by number."""
    cipher = get_cipher()
    total = len(records)
    ids_by_number: dict[str, int] = {}
    if progress:
        progress(0, total)
    for start in range(0, total, batch_size):
        batch = records[start : start + batch_size]
        households = []
        for record in batch:
            household = Household(
                number=record.number,
                village=villages[record.village_code],
                group_name=record.group_name,
                address=record.address,
                household_type=record.household_type,
                status=record.status,
                poverty_attribute=record.poverty_attribute,
                main_cause=record.main_cause,
                secondary_cause=record.secondary_cause,
                monitoring_category=record.monitoring_category,
                risk_types=_packed(record.risk_types),
                housing_area=record.housing_area,
                housing_safety=record.housing_safety,
                water_difficult=record.water_difficult,
                water_safe=record.water_safe,
                has_electricity=record.has_electricity,
                distance_to_road_km=record.distance_to_road_km,
                cultivated_land_mu=record.cultivated_land_mu,
                irrigated_land_mu=record.irrigated_land_mu,
                forest_land_mu=record.forest_land_mu,
                grassland_mu=record.grassland_mu,
                water_surface_mu=record.water_surface_mu,
                in_cooperative=record.in_cooperative,
                is_relocated=record.is_relocated,
                relocation_mode=record.relocation_mode,
                relocation_place=record.relocation_place,
            )
            if record.phone:
                household.phone_enc = cipher.encrypt(record.phone)
                household.phone_bidx = cipher.blind_index("phone", record.phone)
                household.phone_masked = phone.mask(record.phone)
            households.append(household)
        Household.objects.bulk_create(households)
        if any(h.pk is None for h in households):  # a backend that cannot return ids
            ids = dict(
                Household.objects.filter(number__in=[h.number for h in households]).values_list(
                    "number", "pk"
                )
            )
            for household in households:
                household.pk = ids[household.number]
        ids_by_number.update((h.number, h.pk) for h in households)

        members, incomes, types, monitoring = [], [], [], []
        for record, household in zip(batch, households, strict=True):
            for m in record.members:
                member = Member(
                    household_id=household.pk,
                    name=m.name,
                    id_number_enc=cipher.encrypt(m.id_number),
                    id_number_bidx=cipher.blind_index("id", m.id_number),
                    id_number_masked=idnumber.mask(m.id_number),
                    **cipher.id_tail_indexes(m.id_number),
                    sex=m.sex,
                    ethnicity=m.ethnicity,
                    birth_date=m.birth_date,
                    relation=m.relation,
                    education=m.education,
                    schooling_status=m.schooling_status,
                    school_level=m.school_level,
                    health=m.health,
                    has_disability_certificate=m.has_disability_certificate,
                    labour_capacity=m.labour_capacity,
                    migrant_work_place=m.migrant_work_place,
                    migrant_work_months=m.migrant_work_months,
                    migrant_work_income=m.migrant_work_income,
                    basic_medical_insurance=m.basic_medical_insurance,
                    serious_illness_insurance=m.serious_illness_insurance,
                    pension_insurance=m.pension_insurance,
                    receives_dibao=m.receives_dibao,
                    receives_tekun=m.receives_tekun,
                )
                if m.phone:
                    member.phone_enc = cipher.encrypt(m.phone)
                    member.phone_bidx = cipher.blind_index("phone", m.phone)
                    member.phone_masked = phone.mask(m.phone)
                members.append(member)
            for i in record.incomes:
                incomes.append(
                    IncomeRecord(
                        household_id=household.pk,
                        year=i.year,
                        household_size=i.household_size,
                        wage=i.wage,
                        business=i.business,
                        property_income=i.property_income,
                        transfer=i.transfer,
                        excluded_transfer=i.excluded_transfer,
                        business_expenditure=i.business_expenditure,
                        compliant_oop_spending=i.compliant_oop_spending,
                    )
                )
            for t in record.type_history:
                types.append(
                    HouseholdTypeHistory(
                        household_id=household.pk,
                        household_type=t.household_type,
                        status=t.status,
                        effective_from=t.effective_from,
                        reason=t.reason,
                    )
                )
            for e in record.monitoring_history:
                monitoring.append(
                    MonitoringHistory(
                        household_id=household.pk,
                        category=e.category,
                        risk_types=_packed(e.risk_types),
                        effective_from=e.effective_from,
                        reason=e.reason,
                    )
                )
        Member.objects.bulk_create(members)
        IncomeRecord.objects.bulk_create(incomes)
        HouseholdTypeHistory.objects.bulk_create(types)
        MonitoringHistory.objects.bulk_create(monitoring)
        summary.households += len(households)
        summary.members += len(members)
        summary.income_records += len(incomes)
        summary.type_history += len(types)
        summary.monitoring_history += len(monitoring)
        summary.monitoring_objects += sum(1 for r in batch if r.monitoring_category)
        if progress:
            progress(summary.households, total)
    return ids_by_number


def _write_assistance(
    county: Area,
    data: generator.DemoCounty,
    villages: dict[str, Area],
    household_ids: dict[str, int],
    summary: LoadSummary,
    batch_size: int,
) -> None:
    """Plans, helpers, twinning, helping units, task forces and visits (fupin.demo.assistance)."""
    counts = demo_assistance.write_assistance(
        data,
        county,
        villages,
        household_ids,
        seed=summary.seed,
        showcase_village=_demo_areas(county, data)["village"],
        batch_size=batch_size,
    )
    summary.measures = counts.measures
    summary.helpers = counts.helpers
    summary.twinnings = counts.assignments
    summary.helping_units = counts.helping_units
    summary.task_force_members = counts.task_force_members
    summary.visits = counts.visits


def _write_feeds(rows: list[demo_feeds.FeedRow], summary: LoadSummary, batch_size: int) -> None:
    """One batch per kind of list, linked to the people just written through the blind index."""
    cipher = get_cipher()
    digests = {row.id_number: cipher.blind_index("id", row.id_number) for row in rows}
    people = link_people(digests.values())
    by_kind: dict[str, list[demo_feeds.FeedRow]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    for kind, kind_rows in by_kind.items():
        batch = FeedBatch.objects.create(kind=kind, file_name=f"demo-{kind}.csv", row_count=len(kind_rows))
        records = [
            new_record(
                batch,
                person=people.get(digests[row.id_number]),
                id_number=row.id_number,
                blind_index=digests[row.id_number],
                name=row.name,
                event_date=row.event_date,
                amount=row.amount,
                code=row.code,
                source_row=number,
                cipher=cipher,
            )
            for number, row in enumerate(kind_rows, start=2)  # as if row 1 were the header
        ]
        FeedRecord.objects.bulk_create(records, batch_size=batch_size)
        linked = sum(1 for r in records if r.household_id is not None)
        batch.linked_count, batch.unlinked_count = linked, len(records) - linked
        batch.save(update_fields=["linked_count", "unlinked_count"])
        summary.feed_records += len(records)
        summary.feed_records_linked += linked


def _demo_areas(county: Area, data: generator.DemoCounty) -> dict[str, str]:
    """Area codes for the demo accounts: the village with the most monitored households, its
    township, the county and the province, so that the village cadre has something to look at."""
    monitored: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for record in data.households:
        sizes[record.village_code] += 1
        if record.monitoring_category:
            monitored[record.village_code] += 1
    candidates = [v.code for v in data.villages]
    village = max(candidates, key=lambda code: (monitored[code], sizes[code], -int(code)))
    return {
        "village": village,
        "township": village[:9],
        "county": county.code,
        "province": county.province_code,
    }


def _ensure_demo_accounts(county: Area, data: generator.DemoCounty) -> list[DemoLogin]:
    """Create the demo accounts that do not exist yet; existing ones are left as they are."""
    areas = _demo_areas(county, data)
    created = set()
    for username, role, level, full_name in DEMO_ACCOUNTS:
        if not User.objects.filter(username=username).exists():
            accounts.create_user(
                username=username,
                role=role,
                area_codes=[areas[level]],
                password=DEMO_PASSWORD,
                actor="demo-data",
                full_name=full_name,
            )
            created.add(username)
    return demo_logins(known_password=created)


def demo_logins(*, known_password: set[str] | frozenset[str] = frozenset()) -> list[DemoLogin]:
    """The demo accounts that exist, with the first area each may see.

    The password is shown only if it is still the demo password (checking costs an Argon2 hash,
    skipped for accounts in ``known_password`` that were just created).
    """
    logins = []
    users = {u.username: u for u in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS])}
    for username, _role, _level, _name in DEMO_ACCOUNTS:
        user = users.get(username)
        if user is None:
            continue
        grant = user.area_grants.select_related("area").order_by("area__code").first()
        logins.append(
            DemoLogin(
                username=username,
                role=user.role,
                area_code=grant.area.code if grant else "",
                area_name=grant.area.name if grant else "",
                password=(
                    DEMO_PASSWORD if username in known_password or user.check_password(DEMO_PASSWORD) else ""
                ),
            )
        )
    return logins
