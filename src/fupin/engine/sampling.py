"""Households to visit in an inspection: a stratified random sample that anyone can draw again.

Inspection teams (督查组) and unannounced visits (暗访) pick households at random, with more than a
token share of each category (the monitored categories, lifted-out households, ordinary ones), and the
province later checks that the team did not choose whom to see. So the draw is:

- **Stratified.** The sample size is split over the strata in proportion to their sizes (largest
  remainders), with at least one household from every non-empty stratum when the size allows it.
- **Reproducible.** Given the same population and seed, the same households come out, whatever order
  the population was read in: each stratum's ids are sorted and drawn with a generator seeded by the
  seed and the stratum's name (Python's ``random`` seeded by a string is the same on every machine).

Plain Python, no Django: the supervision app reads the population and stores the draw.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping


def allocate(total: int, sizes: Mapping[str, int]) -> dict[str, int]:
    """How many of ``total`` to draw from each stratum (never more than it holds).

    Proportional by largest remainders, at least one from every non-empty stratum while the total
    allows; ties broken by the stratum's name so the split never depends on dict order.
    """
    available = {name: size for name, size in sizes.items() if size > 0}
    population = sum(available.values())
    total = max(0, min(total, population))
    shares = dict.fromkeys(sizes, 0)
    if total == 0:
        return shares
    names = sorted(available)
    if total >= len(names):
        for name in names:  # one from each stratum first
            shares[name] = 1
        left = total - len(names)
    else:  # fewer draws than strata: the largest strata get one each
        for name in sorted(names, key=lambda n: (-available[n], n))[:total]:
            shares[name] = 1
        return shares
    room = {name: available[name] - 1 for name in names}
    pool = sum(room.values())
    if left and pool:
        # In whole numbers (quotient and remainder of left × room / pool), so that equal remainders are
        # equal and the tie goes by the stratum's name, as said above.
        split = {name: divmod(left * room[name], pool) for name in names}
        for name in names:
            shares[name] += split[name][0]
        remaining = left - sum(quotient for quotient, _ in split.values())
        for name in sorted(names, key=lambda n: (-split[n][1], n)):
            if remaining == 0:
                break
            if shares[name] < available[name]:
                shares[name] += 1
                remaining -= 1
    return shares


def draw(units: Iterable[tuple[int, str]], total: int, seed: int) -> dict[str, list[int]]:
    """The sample: stratum → ids drawn (in the order drawn), from ``(id, stratum)`` pairs."""
    by_stratum: dict[str, set[int]] = {}
    for unit_id, stratum in units:
        by_stratum.setdefault(stratum, set()).add(unit_id)
    shares = allocate(total, {name: len(ids) for name, ids in by_stratum.items()})
    sample: dict[str, list[int]] = {}
    for name in sorted(by_stratum):
        generator = random.Random(f"{seed}:{name}")
        sample[name] = generator.sample(sorted(by_stratum[name]), shares[name])
    return sample
