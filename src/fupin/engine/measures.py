"""Poverty and inequality measures (domain.md section 10), in plain Python.

These are the reference definitions: the indicator tables (``fupin.engine.indicators``) compute the
same measures in SQL from additive sums, and the tests hold the two to each other and to the
published worked examples. Every measure takes optional population weights (people per household
when the unit is a household and the income is per capita).

Conventions, written down because the published formulas leave them open:
- "Poor" is strictly below the line (FGT, Watts).
- Watts and Theil take logarithms: they are computed over positive incomes only, with the population
  of positive incomes as N. FGT and Gini use every income, zero and negative ones included.
- Alkire-Foster weights are integers of a common unit and the cutoff ``k`` is in the same unit, so
  that "score ≥ k" is decided exactly, never by a floating-point sum (domain.md section 10).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def _weights(values: Sequence[object], weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * len(values)
    if len(weights) != len(values):
        raise ValueError("there must be one weight per income")
    if any(w < 0 for w in weights):
        raise ValueError("weights cannot be negative")
    return [float(w) for w in weights]


def fgt(incomes: Sequence[float], line: float, alpha: int, weights: Sequence[float] | None = None) -> float:
    """Foster-Greer-Thorbecke P_alpha: (1/N) Σ_{y < z} ((z − y)/z)^alpha."""
    if line <= 0:
        raise ValueError("the poverty line must be positive")
    w = _weights(incomes, weights)
    total = sum(w)
    if total == 0:
        return math.nan
    gaps = sum(wi * ((line - y) / line) ** alpha for y, wi in zip(incomes, w, strict=True) if y < line)
    return gaps / total


def watts(incomes: Sequence[float], line: float, weights: Sequence[float] | None = None) -> float:
    """Watts index: (1/N) Σ_{y < z} ln(z / y), over positive incomes."""
    w = _weights(incomes, weights)
    pairs = [(y, wi) for y, wi in zip(incomes, w, strict=True) if y > 0]
    total = sum(wi for _, wi in pairs)
    if total == 0:
        return math.nan
    return sum(wi * math.log(line / y) for y, wi in pairs if y < line) / total


def gini(incomes: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """Gini coefficient: one minus twice the area under the Lorenz curve (trapezoids over sorted incomes).

    For unweighted data this equals the mean absolute difference over twice the mean, with N (not
    N − 1) in the denominator; a weight acts as that many people with the same income.
    """
    w = _weights(incomes, weights)
    pairs = sorted(zip(incomes, w, strict=True))
    population = sum(wi for _, wi in pairs)
    income = sum(y * wi for y, wi in pairs)
    if population == 0 or income == 0:
        return math.nan
    before = 0.0
    area = 0.0
    for y, wi in pairs:
        area += wi * (2 * before + wi * y)
        before += wi * y
    return 1 - area / (population * income)


def theil(incomes: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """Theil's T: (1/N) Σ (y/μ) ln(y/μ), over positive incomes."""
    w = _weights(incomes, weights)
    pairs = [(y, wi) for y, wi in zip(incomes, w, strict=True) if y > 0]
    population = sum(wi for _, wi in pairs)
    if population == 0:
        return math.nan
    mean = sum(y * wi for y, wi in pairs) / population
    return sum(wi * (y / mean) * math.log(y / mean) for y, wi in pairs) / population


@dataclass(frozen=True)
class AlkireFoster:
    headcount: float  # H: share of the population that is multidimensionally poor
    intensity: float  # A: mean deprivation share among the poor
    m0: float  # adjusted headcount ratio, H × A
    censored_headcounts: tuple[float, ...]  # per dimension: share poor and deprived in it
    contributions: tuple[float, ...]  # per dimension: its share of M0; they sum to 1


def alkire_foster(
    deprived: Sequence[Sequence[bool]],
    dimension_weights: Sequence[int],
    k: int,
    population_weights: Sequence[float] | None = None,
) -> AlkireFoster:
    """The Alkire-Foster counting method with integer dimension weights and cutoff ``k`` (same unit)."""
    if any(not isinstance(d, int) or d <= 0 for d in dimension_weights):
        raise ValueError("dimension weights must be positive integers")
    if not 0 < k <= sum(dimension_weights):
        raise ValueError("the cutoff k must lie between 1 and the sum of the weights")
    total_weight = sum(dimension_weights)
    w = _weights(deprived, population_weights)
    population = sum(w)
    dimensions = len(dimension_weights)
    poor_population = 0.0
    poor_score = 0.0
    censored = [0.0] * dimensions
    for row, wi in zip(deprived, w, strict=True):
        if len(row) != dimensions:
            raise ValueError("every unit needs one deprivation flag per dimension")
        score = sum(d for d, flag in zip(dimension_weights, row, strict=True) if flag)
        if score >= k:
            poor_population += wi
            poor_score += wi * score
            for j, flag in enumerate(row):
                if flag:
                    censored[j] += wi
    if population == 0:
        return AlkireFoster(math.nan, math.nan, math.nan, (math.nan,) * dimensions, (math.nan,) * dimensions)
    headcount = poor_population / population
    intensity = poor_score / (poor_population * total_weight) if poor_population else 0.0
    m0 = headcount * intensity
    censored_headcounts = tuple(c / population for c in censored)
    contributions = tuple(
        (d * ch / (total_weight * m0)) if m0 else 0.0
        for d, ch in zip(dimension_weights, censored_headcounts, strict=True)
    )
    return AlkireFoster(headcount, intensity, m0, censored_headcounts, contributions)
