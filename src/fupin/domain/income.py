"""Per-capita net income: the one function every part of fupin uses (domain.md section 3).

Per-capita net income = (wage + business + property + transfer − business expenditure) ÷ household
size. Some provinces leave certain allowances out of income [uncertain]; those are recorded as
``excluded_transfer`` (a part of ``transfer``) and subtracted when the setting asks for it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def net_income(
    *,
    wage: Decimal,
    business: Decimal,
    property_income: Decimal,
    transfer: Decimal,
    business_expenditure: Decimal,
    excluded_transfer: Decimal = Decimal(0),
    exclude_listed_allowances: bool = True,
) -> Decimal:
    """Household net income for the year, in yuan."""
    total = wage + business + property_income + transfer - business_expenditure
    if exclude_listed_allowances:
        total -= excluded_transfer
    return total


def per_capita_net_income(
    *,
    wage: Decimal,
    business: Decimal,
    property_income: Decimal,
    transfer: Decimal,
    business_expenditure: Decimal,
    household_size: int,
    excluded_transfer: Decimal = Decimal(0),
    exclude_listed_allowances: bool = True,
) -> Decimal | None:
    """Net income ÷ household size, rounded to the fen; None when the household has no members."""
    if household_size <= 0:
        return None
    total = net_income(
        wage=wage,
        business=business,
        property_income=property_income,
        transfer=transfer,
        business_expenditure=business_expenditure,
        excluded_transfer=excluded_transfer,
        exclude_listed_allowances=exclude_listed_allowances,
    )
    return (total / Decimal(household_size)).quantize(CENT, rounding=ROUND_HALF_UP)
