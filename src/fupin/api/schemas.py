"""Request and response bodies of the API.

Responses list their fields explicitly: identifiers appear only in their masked form
(``id_number_masked``, ``phone_masked``); encrypted columns and blind indexes are never declared,
so they can never be serialized. Money and land areas are decimals rendered as strings ("1234.50").

Request fields are not checked for allowed codes here: the registry services validate every value
(with messages in the request's language) and report all problems at once. Allowed codes are listed
in the OpenAPI document as ``enum``.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import TextChoices
from ninja import Field, Schema
from pydantic import PlainSerializer

from fupin.registry import choices
from fupin.registry.models import Household, IncomeRecord, Member

# Decimals go out as strings, so that no client turns yuan into binary floating point.
Money = Annotated[Decimal, PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="always")]
OptionalMoney = Annotated[
    Decimal | None,
    PlainSerializer(
        lambda v: None if v is None else format(v, "f"), return_type=str | None, when_used="always"
    ),
]


def _codes(choice: type[TextChoices], blank: bool = False) -> dict[str, Any]:
    values = list(choice.values)
    if blank and "" not in values:
        values.append("")
    return {"enum": values}


def opt(choice: type[TextChoices] | None = None, *, blank: bool = False, description: str = "") -> Any:
    """A field that may be left out: left-out fields keep their current (or default) value.

    Only fields the client sent reach the services (``exclude_unset``); ``null`` is accepted only
    where the type says so.
    """
    extra = _codes(choice, blank) if choice is not None else None
    return Field(None, json_schema_extra=extra, description=description or None)


# ---------------------------------------------------------------- errors


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[ErrorItem]


class MessageOut(Schema):
    detail: str


# ---------------------------------------------------------------- households


class HouseholdFields(Schema):
    """The facts of a household that an edit may change (``services.HOUSEHOLD_EDITABLE``)."""

    group_name: str = opt()
    address: str = opt()
    poverty_attribute: str = opt(choices.PovertyAttribute, blank=True)
    main_cause: str = opt(choices.PovertyCause, blank=True)
    secondary_cause: str = opt(choices.PovertyCause, blank=True)
    housing_area: Decimal | None = opt(description="m²")
    housing_safety: str = opt(choices.HousingSafety, blank=True)
    water_difficult: bool = opt()
    water_safe: bool = opt()
    has_electricity: bool = opt()
    distance_to_road_km: Decimal | None = opt()
    cultivated_land_mu: Decimal = opt()
    irrigated_land_mu: Decimal = opt()
    forest_land_mu: Decimal = opt()
    grassland_mu: Decimal = opt()
    water_surface_mu: Decimal = opt()
    in_cooperative: bool = opt()
    is_relocated: bool = opt()
    relocation_mode: str = opt(choices.RelocationMode, blank=True)
    relocation_place: str = opt()


class HouseholdCreate(HouseholdFields):
    number: str = Field(
        "",
        description="the village code followed by 1-6 digits; empty gives the village's next free number",
    )
    village_code: str = Field(description="12-digit code of the village")
    household_type: str = Field(json_schema_extra=_codes(choices.HouseholdType))
    status: str = Field(json_schema_extra=_codes(choices.HouseholdStatus))
    phone: str = Field("", description="mobile or fixed line; stored encrypted, shown masked")
    effective_from: dt.date | None = Field(None, description="date of registration (default today)")


class HouseholdPatch(HouseholdFields):
    version: int = Field(description="the version you read; a newer one on the server gives 409")
    village_code: str = opt(description="move the household to another village (in your capture scope)")
    phone: str = opt(description='"" removes the phone')


class TypeStatusChange(Schema):
    version: int
    household_type: str = Field(json_schema_extra=_codes(choices.HouseholdType))
    status: str = Field(json_schema_extra=_codes(choices.HouseholdStatus))
    effective_from: dt.date
    reason: str


class MonitoringChange(Schema):
    version: int
    category: str = Field(
        json_schema_extra=_codes(choices.MonitoringCategory, blank=True),
        description='"" ends monitoring',
    )
    risk_types: list[str] = Field(default_factory=list, json_schema_extra={"items": _codes(choices.RiskType)})
    effective_from: dt.date
    reason: str


class HouseholdListItem(Schema):
    id: int
    number: str
    village_code: str
    village_name: str
    group_name: str
    household_type: str
    status: str
    monitoring_category: str
    risk_types: list[str]
    phone_masked: str
    version: int

    @staticmethod
    def resolve_village_code(obj: Household) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj: Household) -> str:
        return obj.village.name

    @staticmethod
    def resolve_risk_types(obj: Household) -> list[str]:
        return obj.risk_type_list


class HouseholdOut(HouseholdListItem):
    address: str
    poverty_attribute: str
    main_cause: str
    secondary_cause: str
    housing_area: OptionalMoney
    housing_safety: str
    water_difficult: bool
    water_safe: bool
    has_electricity: bool
    distance_to_road_km: OptionalMoney
    cultivated_land_mu: Money
    irrigated_land_mu: Money
    forest_land_mu: Money
    grassland_mu: Money
    water_surface_mu: Money
    in_cooperative: bool
    is_relocated: bool
    relocation_mode: str
    relocation_place: str
    created_at: dt.datetime
    updated_at: dt.datetime


# ---------------------------------------------------------------- members


class MemberFields(Schema):
    """Member facts an edit may change (``services.MEMBER_EDITABLE``), all optional."""

    name: str = opt()
    sex: str = opt(choices.Sex)
    ethnicity: str = opt(choices.Ethnicity)
    birth_date: dt.date = opt()
    relation: str = opt(choices.Relation)
    education: str = opt(choices.Education, blank=True)
    schooling_status: str = opt(choices.SchoolingStatus)
    school_level: str = opt(choices.SchoolLevel, blank=True)
    health: str = opt(choices.Health)
    has_disability_certificate: bool = opt()
    labour_capacity: str = opt(choices.LabourCapacity)
    migrant_work_place: str = opt()
    migrant_work_months: int = opt()
    migrant_work_income: Decimal = opt()
    basic_medical_insurance: bool = opt()
    serious_illness_insurance: bool = opt()
    pension_insurance: bool = opt()
    receives_dibao: bool = opt()
    receives_tekun: bool = opt()
    exit_reason: str = opt(choices.MemberExit, blank=True)
    exit_date: dt.date | None = opt()


class MemberCreate(MemberFields):
    name: str
    sex: str = Field(json_schema_extra=_codes(choices.Sex))
    birth_date: dt.date
    relation: str = Field(json_schema_extra=_codes(choices.Relation))
    labour_capacity: str = Field(json_schema_extra=_codes(choices.LabourCapacity))
    id_number: str = Field("", description="18 characters (GB 11643); stored encrypted, shown masked")
    phone: str = Field("", description="stored encrypted, shown masked")


class MemberPatch(MemberFields):
    version: int = Field(description="the version you read; a newer one on the server gives 409")
    id_number: str = opt(description='correct the ID number; "" removes it')
    phone: str = opt(description='"" removes the phone')


class MemberOut(Schema):
    id: int
    household_id: int
    name: str
    id_number_masked: str
    phone_masked: str
    sex: str
    ethnicity: str
    birth_date: dt.date
    relation: str
    education: str
    schooling_status: str
    school_level: str
    health: str
    has_disability_certificate: bool
    labour_capacity: str
    migrant_work_place: str
    migrant_work_months: int
    migrant_work_income: Money
    basic_medical_insurance: bool
    serious_illness_insurance: bool
    pension_insurance: bool
    receives_dibao: bool
    receives_tekun: bool
    exit_reason: str
    exit_date: dt.date | None
    is_current: bool
    version: int

    @staticmethod
    def resolve_is_current(obj: Member) -> bool:
        return obj.is_current


# ---------------------------------------------------------------- incomes


class IncomeIn(Schema):
    """One year's income in yuan. Left-out amounts keep their value (0 for a new year)."""

    version: int | None = Field(None, description="leave out to create the year; give it to update")
    household_size: int = opt(description="default: the household's current members")
    wage: Decimal = opt()
    business: Decimal = opt()
    property_income: Decimal = opt()
    transfer: Decimal = opt()
    excluded_transfer: Decimal = opt(description="allowances inside transfer income that do not count")
    business_expenditure: Decimal = opt()
    compliant_oop_spending: Decimal = opt(description="compliant out-of-pocket spending (合规自付支出)")


class IncomeOut(Schema):
    id: int
    household_id: int
    year: int
    household_size: int
    wage: Money
    business: Money
    property_income: Money
    transfer: Money
    excluded_transfer: Money
    business_expenditure: Money
    compliant_oop_spending: Money
    per_capita_net_income: OptionalMoney
    version: int

    @staticmethod
    def resolve_per_capita_net_income(obj: IncomeRecord) -> Decimal | None:
        return obj.per_capita_net_income
