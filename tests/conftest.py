"""Shared fixtures: a small county with two townships and four villages, and one user per role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from fupin.accounts.roles import Role


def pytest_configure(config):
    """Compile the .po catalogues before any test renders a message, as the ``fupin`` command does
    at start-up (.mo files are generated, not committed)."""
    from fupin.core.i18n import compile_catalogs

    compile_catalogs()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Counters kept in the cache (failed logins per address, rate limits) start at zero in each test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language. A test client request activates the language
    it asked for in the worker's thread and leaves it there, so without this a label read outside
    ``translation.override`` depends on which test the worker ran before."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _own_audit_checkpoints(settings, tmp_path):
    """Each test's audit chain starts empty, so its signed checkpoints live in its own file."""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"


@pytest.fixture(autouse=True)
def _indicators_rebuild_when_asked(settings):
    """Indicator rebuilds happen where a test asks for them, in the test's own thread and transaction."""
    settings.INDICATORS_AUTO_REBUILD = False
    settings.INDICATORS_IN_BACKGROUND = False


@pytest.fixture(autouse=True)
def _texts_sent_at_once(settings):
    """Text messages reach the outbox before the action that sends them returns (no worker in tests)."""
    settings.SMS_IN_BACKGROUND = False


@pytest.fixture
def audit_triggers_back(django_db_blocker):
    """Set up before the database and torn down after it (list it first): once the committed rows of
    a transactional test are flushed, the audit triggers are on again and the migrations' own data
    (areas, the national catalogue, …), saved by ``flushable_audit`` before the test, is back, so the
    next transactional test in the worker finds the county."""
    saved: dict[str, str] = {}
    yield saved
    from django.db import connection

    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
        if "rows" in saved:
            connection.creation.deserialize_db_from_string(saved["rows"])


@pytest.fixture
def flushable_audit(audit_triggers_back, transactional_db):
    """The append-only audit table refuses the TRUNCATE that ends a transactional test: allow it then."""
    import json

    from django.db import connection

    # Content types and permissions come back by themselves: the flush's post_migrate recreates them.
    rows = json.loads(connection.creation.serialize_db_to_string())
    kept = [row for row in rows if row["model"] not in ("contenttypes.contenttype", "auth.permission")]
    audit_triggers_back["rows"] = json.dumps(kept)
    yield
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")


@dataclass
class Place:
    county: Any
    township_a: Any
    township_b: Any
    village_a1: Any
    village_a2: Any
    village_b1: Any
    other_county_village: Any


def _area(code: str, name: str):
    from fupin.areas.models import Area

    area = Area(code=code, name=name, source="test")
    area.fill_derived()
    parent_code = {9: code[:6], 12: code[:9]}[len(code)]
    area.parent = Area.objects.get(code=parent_code)
    area.save()
    return area


@pytest.fixture
def place(db) -> Place:
    from fupin.areas.models import Area

    county = Area.objects.get(code="220822")
    return Place(
        county=county,
        township_a=_area("220822100", "开通镇"),
        township_b=_area("220822200", "瞻榆镇"),
        village_a1=_area("220822100201", "一村"),
        village_a2=_area("220822100202", "二村"),
        village_b1=_area("220822200201", "三村"),
        other_county_village=(_area("220821100", "镇赉某镇"), _area("220821100201", "外县村"))[1],
    )


@pytest.fixture
def make_user(db):
    from fupin.accounts import services

    counter = {"n": 0}

    def make(role: str, *codes: str, password: str = "correct-horse-9", capture: bool | None = None):
        counter["n"] += 1
        return services.create_user(
            username=f"{role}-{counter['n']}", role=role, area_codes=codes, password=password, capture=capture
        )

    return make


@pytest.fixture
def county_officer(place, make_user):
    return make_user(Role.COUNTY_OFFICER, "220822")


@pytest.fixture
def village_cadre(place, make_user):
    return make_user(Role.VILLAGE_CADRE, "220822100201")


def valid_id(area: str = "220822", birth: dt.date = dt.date(1980, 5, 17), sequence: int = 123) -> str:
    from fupin.domain.idnumber import make

    return make(area, birth, sequence)


@pytest.fixture
def household_factory(place, county_officer):
    """Create a household with a head through the services (so history and audit are real)."""
    from fupin.registry import services

    counter = {"n": 0}

    def make(village=None, *, head_sex: str = "M", seq: int | None = None, actor=None, **values):
        counter["n"] += 1
        village = village or place.village_a1
        household = services.create_household(
            actor=actor or county_officer,
            number=f"{village.code}{counter['n']:04d}",
            village_code=village.code,
            household_type=values.pop("household_type", "ordinary"),
            status=values.pop("status", "normal"),
            values={k: v for k, v in values.items() if k != "registered_on"},
            phone_number="13812345678",
            effective_from=values.pop("registered_on", None),
        )
        sequence = seq if seq is not None else (2 * counter["n"] + (1 if head_sex == "M" else 0)) % 1000
        birth = dt.date(1970, 1, 1) + dt.timedelta(days=counter["n"])
        services.add_member(
            actor=actor or county_officer,
            household=household,
            values={
                "name": f"户主{counter['n']}",
                "sex": head_sex,
                "birth_date": birth,
                "relation": "head",
                "labour_capacity": "ordinary",
            },
            id_number=valid_id(birth=birth, sequence=sequence),
        )
        return household

    return make
