"""Per-capita net income: the one function every part of fupin uses (domain.md section 3).

Per-capita net income = (wage + business + property + transfer − business expenditure) ÷ household
size. Some provinces leave certain allowances out of income [uncertain]; those are recorded as
``excluded_transfer`` (a part of ``transfer``) and subtracted when the setting asks for it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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


def per_capita_from_fen(total_fen: Any, household_size: Any) -> Any:
    """``per_capita_net_income`` for whole columns (numpy arrays): net income in fen ÷ household size,
    rounded half away from zero to the fen, in yuan; NaN where the household has no members.

    The same rule as the function above, on integers so that it is exact: used where millions of
    records are read at once (indicator snapshots); tests hold the two to each other.
    """
    import numpy as np

    total = np.asarray(total_fen, dtype=np.int64)
    size = np.asarray(household_size, dtype=np.int64)
    safe = np.where(size > 0, size, 1)
    fen = (2 * np.abs(total) + safe) // (2 * safe) * np.sign(total)
    return np.where(size > 0, fen / 100.0, np.nan)
