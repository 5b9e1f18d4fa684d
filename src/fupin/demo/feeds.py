"""Department lists for a generated demo county: what the bureaus would send about its people.

Plain Python with no Django import, deterministic for a seed (its own ``random.Random``, so the
county itself is the same whether or not feeds are generated). The lists follow the county's facts:
large medical bills for members with serious or chronic illness, a hail storm and a flood over a
village each, reports for households whose recorded risk is a disaster, the pupils who dropped
out, lapsed medical insurance, returned migrant workers, C and D housing ratings, a few deaths of old
people the registry still lists, and assistance granted to monitored households. A few rows name
people from elsewhere who are not in the registry: they stay unlinked, as in real lists.
Everything is invented, like the county.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from fupin.demo.generator import DemoCounty, HouseholdRecord, MemberRecord, _People

# A department list only carries cases above a threshold: the health insurance bureau's warning list
# of large compliant out-of-pocket spending in a year [rough: local lines vary from 10,000 to 50,000
# yuan; a high one keeps the demo list to a few hundred bills].
MEDICAL_WARNING_LINE = 50_000
DISASTER_VILLAGES = (("hail", (6, 1), (8, 20)), ("flood", (7, 10), (8, 31)))  # (type, from, to)
DISASTER_HOUSEHOLD_SHARE = 0.45
LAPSED_ORDINARY_SHARE = 0.05  # lapsed insurance of ordinary, unmonitored people on the list [rough]
RETURNED_MIGRANT_SHARE = 0.02
HOUSING_C_SHARE = 0.05  # C ratings on this year's list; every D is on it [rough]
DEATH_SHARE_80_PLUS = 0.012
UNLINKED_SHARE = 0.05  # rows for people who are not in the registry
NEIGHBOUR_COUNTIES = ("220821", "220802", "220881", "150525")  # 镇赉 洮北 洮南 (吉林); 奈曼旗 (内蒙古)


@dataclass(frozen=True, slots=True)
class FeedRow:
    kind: str
    id_number: str
    name: str
    event_date: dt.date
    amount: Decimal | None = None
    code: str | None = None


def _yuan(value: float) -> Decimal:
    return Decimal(round(value, 2)).quantize(Decimal("0.01"))


class _FeedGenerator:
    def __init__(self, data: DemoCounty, seed: int) -> None:
        self.data = data
        self.as_of = data.as_of
        self.rng = random.Random(f"fupin-demo-feeds:{seed}")
        self.rows: list[FeedRow] = []
        self.registered = {m.id_number for h in data.households for m in h.members}

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        end = min(end, self.as_of)
        start = min(start, end)
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def recent(self, days: int) -> dt.date:
        return self.day_between(self.as_of - dt.timedelta(days=days), self.as_of)

    def add(
        self,
        kind: str,
        member: MemberRecord,
        day: dt.date,
        amount: Decimal | None = None,
        code: str | None = None,
    ) -> None:
        self.rows.append(FeedRow(kind, member.id_number, member.name, day, amount, code))

    # -- kinds

    def medical(self, household: HouseholdRecord) -> None:
        rng = self.rng
        sick = [m for m in household.members if m.health == "serious"] or [
            m for m in household.members if m.health in ("chronic", "disabled")
        ]
        if not sick or not household.incomes:
            return
        last = household.incomes[-1]
        year = last.year
        if last.compliant_oop_spending < MEDICAL_WARNING_LINE:
            return
        patient = rng.choice(sick)
        claims = rng.choice((1, 1, 2, 2, 3))
        total = float(last.compliant_oop_spending) * rng.uniform(0.7, 1.0)
        shares = [rng.uniform(0.5, 1.5) for _c in range(claims)]
        for share in shares:
            day = self.day_between(dt.date(year, 1, 5), dt.date(year, 12, 28))
            self.add("medical", patient, day, _yuan(total * share / sum(shares)))
        if patient.health == "serious" and rng.random() < 0.5:  # treatment goes on this year
            day = self.day_between(dt.date(self.as_of.year, 1, 5), self.as_of)
            self.add("medical", patient, day, _yuan(rng.uniform(2_000, 20_000)))

    def disasters(self) -> None:
        rng = self.rng
        villages = sorted(v.code for v in self.data.villages)
        if not villages:
            return
        struck = rng.sample(villages, min(len(DISASTER_VILLAGES), len(villages)))
        by_village: dict[str, list[HouseholdRecord]] = {}
        for household in self.data.households:
            by_village.setdefault(household.village_code, []).append(household)
        for village, (code, start, end) in zip(struck, DISASTER_VILLAGES, strict=False):
            year = self.as_of.year if self.as_of >= dt.date(self.as_of.year, *end) else self.as_of.year - 1
            day = self.day_between(dt.date(year, *start), dt.date(year, *end))
            for household in by_village.get(village, []):
                if rng.random() < DISASTER_HOUSEHOLD_SHARE:
                    crop = float(household.cultivated_land_mu) * rng.uniform(150, 500)
                    house = rng.uniform(3_000, 20_000) if household.housing_safety in ("C", "D") else 0
                    loss = max(500.0, crop + house)
                    self.add("disaster", household.head, day, _yuan(loss), code)
        for household in self.data.households:
            if household.monitoring_category and "disaster" in household.risk_types:
                identified = household.monitoring_history[0].effective_from
                day = self.day_between(identified - dt.timedelta(days=60), identified - dt.timedelta(days=10))
                code = rng.choice(("drought", "drought", "hail", "flood"))
                self.add("disaster", household.head, day, _yuan(rng.uniform(8_000, 40_000)), code)

    def school(self, household: HouseholdRecord) -> None:
        for member in household.members:
            if member.schooling_status == "dropped_out":
                self.add("school", member, self.recent(180), code="dropped_out")
            elif (
                member.schooling_status == "in_school"
                and 6 <= member.age_on(self.as_of) <= 15
                and self.rng.random() < 0.003
            ):
                self.add("school", member, self.recent(120), code="suspended")

    def insurance(self, household: HouseholdRecord) -> None:
        watched = household.household_type == "lifted_out" or bool(household.monitoring_category)
        for member in household.members:
            if not member.basic_medical_insurance and (watched or self.rng.random() < LAPSED_ORDINARY_SHARE):
                self.add("insurance", member, dt.date(self.as_of.year, 1, 1), code="lapsed")

    def returned_migrants(self, household: HouseholdRecord) -> None:
        rng = self.rng
        unstable = household.monitoring_category and "unstable_employment" in household.risk_types
        for member in household.members:
            if not member.migrant_work_place:
                continue
            if unstable:
                code = "laid_off" if rng.random() < 0.7 else "other"
            elif rng.random() < RETURNED_MIGRANT_SHARE:
                code = rng.choices(("laid_off", "illness", "other"), weights=(50, 20, 30))[0]
            else:
                continue
            monthly = None
            if member.migrant_work_months and rng.random() < 0.7:
                monthly = _yuan(round(float(member.migrant_work_income) / member.migrant_work_months, -1))
            self.add("returned_migrant", member, self.recent(240), monthly, code)

    def housing(self, household: HouseholdRecord) -> None:
        rating = household.housing_safety
        if rating == "D" or (rating == "C" and self.rng.random() < HOUSING_C_SHARE):
            self.add("housing", household.head, self.recent(365), code=rating)

    def deaths(self, household: HouseholdRecord) -> None:
        for member in household.members:
            if member.age_on(self.as_of) >= 80 and self.rng.random() < DEATH_SHARE_80_PLUS:
                self.add("death", member, self.recent(150))

    def assistance(self, household: HouseholdRecord) -> None:
        rng = self.rng
        if not household.monitoring_category or not household.monitoring_history:
            return
        identified = household.monitoring_history[-1].effective_from
        start = identified + dt.timedelta(days=rng.randint(15, 90))
        if start > self.as_of:
            return
        head = household.head
        if household.monitoring_category == "sudden_difficulty" and rng.random() < 0.5:
            self.add("assistance_roll", head, start, code="temporary_assistance")
        elif head.receives_dibao and rng.random() < 0.5:
            monthly = _yuan(rng.randint(28, 40) * 10 * len(household.members))
            self.add("assistance_roll", head, start, monthly, "dibao")

    def strangers(self) -> None:
        """Rows for people not in the registry (moved away, or another county's people)."""
        rng = self.rng
        people = _People(rng, NEIGHBOUR_COUNTIES[0], [(c, 1.0) for c in NEIGHBOUR_COUNTIES[1:]])
        for kind in ("medical", "disaster", "returned_migrant"):
            listed = [r for r in self.rows if r.kind == kind]
            count = max(1, round(len(listed) * UNLINKED_SHARE)) if listed else 0
            for template in rng.sample(listed, count):
                sex = rng.choice("MF")
                birth = self.day_between(dt.date(1950, 1, 1), dt.date(2000, 12, 31))
                number = people.id_number(birth, sex, local_share=0.5)
                if number in self.registered:
                    continue
                name = people.surname("han") + people.given_name(sex, birth.year, "han")
                self.rows.append(
                    FeedRow(kind, number, name, template.event_date, template.amount, template.code)
                )

    def generate(self) -> list[FeedRow]:
        for household in self.data.households:
            self.medical(household)
        self.disasters()
        for household in self.data.households:
            self.school(household)
            self.insurance(household)
            self.returned_migrants(household)
            self.housing(household)
            self.deaths(household)
            self.assistance(household)
        self.strangers()
        return self.rows


def generate_feeds(data: DemoCounty, *, seed: int) -> list[FeedRow]:
    """The department lists for ``data``, every row dated on or before ``data.as_of``."""
    return _FeedGenerator(data, seed).generate()
