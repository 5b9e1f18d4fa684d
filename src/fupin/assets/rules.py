"""The assets rules' numbers from the policy pack, and the exact split of an amount among households.

The pack holds the minimum share of a distribution paid to lifted-out and monitored households and the
range of the guaranteed return (6–10% by default); a province or county pack overrides them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fupin.engine.parameters import value_in_force
from fupin.screening import packs


@dataclass(frozen=True)
class AssetRules:
    household_share_min: Decimal  # 0.40 = 40% of the amount distributed
    guaranteed_min: Decimal
    guaranteed_max: Decimal


def rules_for(county_code: str, on: dt.date) -> AssetRules:
    pack = packs.checked().pack

    def value(name: str) -> Decimal:
        # Through str: the pack's 0.06 is the decimal 0.06, not the float next to it.
        return Decimal(str(value_in_force(pack.parameters[name], county_code, on).value))

    return AssetRules(
        household_share_min=value("asset_income_household_share_min"),
        guaranteed_min=value("asset_guaranteed_return_min"),
        guaranteed_max=value("asset_guaranteed_return_max"),
    )


def largest_remainder(amount_fen: int, weights: Sequence[int]) -> list[int]:
    """``amount_fen`` split in proportion to ``weights``, in whole fen, summing to ``amount_fen`` exactly.

    Each part first gets the whole fen of its exact share; the fen left over go one each to the parts with
    the largest remainders, ties to the earlier part (the caller orders the households by number).
    """
    if amount_fen < 0:
        raise ValueError("amount must not be negative")
    if not weights or any(w <= 0 for w in weights):
        raise ValueError("weights must be positive")
    total = sum(weights)
    parts = [amount_fen * w // total for w in weights]
    remainders = [amount_fen * w % total for w in weights]
    left = amount_fen - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return parts
