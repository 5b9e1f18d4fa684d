"""One county of a generated province turned into table rows, personal data encrypted: the worker side.

Plain Python with no Django import, so that it runs in worker processes started fresh (spawn): the
main process writes the rows (``fupin.demo.province``) while the workers generate and encrypt the
next counties. The households are the demo generator's (``fupin.demo.generator.generate``), so the
province has the demo county's distributions; nothing here draws a random number of its own.

Rows hold only ``str``, ``int`` and ``None``: COPY's text format and SQLite take them as they are, so
neither backend's adapters run per value. The first value of a household row is its village code,
of the other rows the household's index in the county; the main process puts the ids in their place.
ID numbers and phones are stored exactly as the registry services store them: Fernet tokens
(``PiiCipher.encrypt_many``), blind indexes under the index key, the suffix indexes and the masked
forms.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fupin.demo import generator
from fupin.domain import idnumber, phone
from fupin.pii.crypto import PiiCipher

# The columns each row carries after the leading reference (village code or household index), in
# order. ``fupin.demo.province`` adds the ids and every other column of the model (its default).
HOUSEHOLD_COLUMNS = (
    "number",
    "group_name",
    "address",
    "phone_enc",
    "phone_bidx",
    "phone_masked",
    "household_type",
    "status",
    "poverty_attribute",
    "main_cause",
    "secondary_cause",
    "monitoring_category",
    "risk_types",
    "housing_area",
    "housing_safety",
    "water_difficult",
    "water_safe",
    "has_electricity",
    "distance_to_road_km",
    "cultivated_land_mu",
    "irrigated_land_mu",
    "forest_land_mu",
    "grassland_mu",
    "water_surface_mu",
    "in_cooperative",
    "is_relocated",
    "relocation_mode",
    "relocation_place",
)
MEMBER_COLUMNS = (
    "name",
    "id_number_enc",
    "id_number_bidx",
    "id_number_masked",
    "id_tail4_bidx",
    "id_tail6_bidx",
    "sex",
    "ethnicity",
    "birth_date",
    "relation",
    "education",
    "schooling_status",
    "school_level",
    "health",
    "has_disability_certificate",
    "labour_capacity",
    "migrant_work_place",
    "migrant_work_months",
    "migrant_work_income",
    "basic_medical_insurance",
    "serious_illness_insurance",
    "pension_insurance",
    "receives_dibao",
    "receives_tekun",
    "phone_enc",
    "phone_bidx",
    "phone_masked",
)
INCOME_COLUMNS = (
    "year",
    "household_size",
    "wage",
    "business",
    "property_income",
    "transfer",
    "excluded_transfer",
    "business_expenditure",
    "compliant_oop_spending",
)
TYPE_COLUMNS = ("household_type", "status", "effective_from", "reason")
MONITORING_COLUMNS = ("category", "risk_types", "effective_from", "reason")

Row = tuple[Any, ...]


@dataclass(frozen=True)
class CountyTask:
    """What a worker needs to generate one county: everything is a plain value (it is pickled)."""

    code: str
    name: str
    households: int
    seed: int
    as_of: dt.date
    townships: list[generator.AreaRecord] = field(default_factory=list)
    villages: list[generator.AreaRecord] = field(default_factory=list)
    other_id_areas: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class CountyRows:
    code: str
    townships: list[generator.AreaRecord]
    villages: list[generator.AreaRecord]
    households: list[Row]
    members: list[Row]
    incomes: list[Row]
    types: list[Row]
    monitoring: list[Row]
    monitoring_objects: int
    generate_seconds: float
    encrypt_seconds: float
    rows_seconds: float


_cipher: PiiCipher | None = None


def init_worker(encryption_keys: list[str], blind_index_key: str) -> None:
    """Run once in each worker: the keys arrive through the pool's pipe, never on a command line."""
    global _cipher
    _cipher = PiiCipher(encryption_keys, blind_index_key)


def _text(value: Any) -> Any:
    """A value as COPY's text format and SQLite both store it (see the module's docstring)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (Decimal, dt.date)):
        return str(value)
    raise TypeError(f"no text form for {type(value).__name__}")


def _packed(risk_types: tuple[str, ...]) -> str:
    """As ``fupin.demo.loader`` packs them: comma-wrapped codes."""
    return "," + ",".join(risk_types) + "," if risk_types else ""


def build_county(task: CountyTask, cipher: PiiCipher | None = None) -> CountyRows:
    """Generate ``task``'s county and return its rows; in a worker, with the keys of ``init_worker``."""
    cipher = cipher or _cipher
    if cipher is None:
        raise RuntimeError("init_worker was not called")
    started = time.perf_counter()
    data = generator.generate(
        county_code=task.code,
        county_name=task.name,
        households=task.households,
        seed=task.seed,
        as_of=task.as_of,
        townships=task.townships or None,
        villages=task.villages or None,
        other_id_areas=task.other_id_areas,
    )
    generated = time.perf_counter()

    # Every ID number and phone of the county through one batched encryption each.
    people = [m for h in data.households for m in h.members]
    id_numbers = [m.id_number for m in people]
    phones = [h.phone for h in data.households if h.phone] + [m.phone for m in people if m.phone]
    id_tokens = iter(cipher.encrypt_many(id_numbers))
    phone_tokens = iter(cipher.encrypt_many(phones))
    id_index = cipher.blind_indexer("id")
    phone_index = cipher.blind_indexer("phone")

    def tail(number: str, n: int) -> str:
        return cipher.id_tail_index(number[-n:])[1]

    def phone_fields(number: str) -> tuple[str, str, str]:
        if not number:
            return ("", "", "")
        return (next(phone_tokens), phone_index(number), phone.mask(number))

    household_phones = [phone_fields(h.phone) for h in data.households]
    member_pii = [
        (
            next(id_tokens),
            id_index(m.id_number),
            idnumber.mask(m.id_number),
            tail(m.id_number, 4),
            tail(m.id_number, 6),
        )
        for m in people
    ]
    member_phones = [phone_fields(m.phone) for m in people]
    encrypted = time.perf_counter()

    households, members, incomes, types, monitoring = [], [], [], [], []
    t = _text
    person = 0
    for index, h in enumerate(data.households):
        households.append(
            (h.village_code, h.number, h.group_name, h.address, *household_phones[index])
            + tuple(
                t(v)
                for v in (
                    h.household_type,
                    h.status,
                    h.poverty_attribute,
                    h.main_cause,
                    h.secondary_cause,
                    h.monitoring_category,
                    _packed(h.risk_types),
                    h.housing_area,
                    h.housing_safety,
                    h.water_difficult,
                    h.water_safe,
                    h.has_electricity,
                    h.distance_to_road_km,
                    h.cultivated_land_mu,
                    h.irrigated_land_mu,
                    h.forest_land_mu,
                    h.grassland_mu,
                    h.water_surface_mu,
                    h.in_cooperative,
                    h.is_relocated,
                    h.relocation_mode,
                    h.relocation_place,
                )
            )
        )
        for m in h.members:
            members.append(
                (index, m.name, *member_pii[person])
                + tuple(
                    t(v)
                    for v in (
                        m.sex,
                        m.ethnicity,
                        m.birth_date,
                        m.relation,
                        m.education,
                        m.schooling_status,
                        m.school_level,
                        m.health,
                        m.has_disability_certificate,
                        m.labour_capacity,
                        m.migrant_work_place,
                        m.migrant_work_months,
                        m.migrant_work_income,
                        m.basic_medical_insurance,
                        m.serious_illness_insurance,
                        m.pension_insurance,
                        m.receives_dibao,
                        m.receives_tekun,
                    )
                )
                + member_phones[person]
            )
            person += 1
        for i in h.incomes:
            incomes.append(
                (
                    index,
                    i.year,
                    i.household_size,
                    str(i.wage),
                    str(i.business),
                    str(i.property_income),
                    str(i.transfer),
                    str(i.excluded_transfer),
                    str(i.business_expenditure),
                    str(i.compliant_oop_spending),
                )
            )
        for e in h.type_history:
            types.append((index, e.household_type, e.status, str(e.effective_from), e.reason))
        for m_entry in h.monitoring_history:
            monitoring.append(
                (
                    index,
                    m_entry.category,
                    _packed(m_entry.risk_types),
                    str(m_entry.effective_from),
                    m_entry.reason,
                )
            )
    done = time.perf_counter()
    return CountyRows(
        code=task.code,
        townships=data.townships,
        villages=data.villages,
        households=households,
        members=members,
        incomes=incomes,
        types=types,
        monitoring=monitoring,
        monitoring_objects=sum(1 for h in data.households if h.monitoring_category),
        generate_seconds=generated - started,
        encrypt_seconds=encrypted - generated,
        rows_seconds=done - encrypted,
    )
