"""The inspection sample (fupin.engine.sampling): every stratum represented, sizes proportional, never
more than a stratum holds, and the same draw again from the same seed whatever the input order."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.engine import sampling

STRATA = ("marginal", "unstable_lifted", "sudden_difficulty", "lifted_out", "ordinary")

populations = st.dictionaries(st.sampled_from(STRATA), st.integers(min_value=0, max_value=300))


def _units(sizes: dict[str, int]) -> list[tuple[int, str]]:
    units, next_id = [], 1
    for name, size in sorted(sizes.items()):
        units += [(next_id + n, name) for n in range(size)]
        next_id += size
    return units


@settings(max_examples=300, deadline=None)
@given(sizes=populations, total=st.integers(min_value=0, max_value=800))
def test_the_shares_add_up_and_fit_each_stratum(sizes, total):
    shares = sampling.allocate(total, sizes)
    population = sum(sizes.values())
    assert sum(shares.values()) == min(total, population)
    assert all(0 <= shares[name] <= sizes[name] for name in sizes)
    non_empty = [name for name, size in sizes.items() if size]
    if total >= len(non_empty):  # room for one from each: no category is left out
        assert all(shares[name] >= 1 for name in non_empty)


@settings(max_examples=200, deadline=None)
@given(sizes=populations, total=st.integers(min_value=len(STRATA), max_value=800))
def test_the_shares_follow_the_sizes(sizes, total):
    """Beyond the one each, a stratum gets its proportional share rounded up or down, never further."""
    shares = sampling.allocate(total, sizes)
    non_empty = {name: size for name, size in sizes.items() if size}
    left = min(total, sum(non_empty.values())) - len(non_empty)
    room = {name: size - 1 for name, size in non_empty.items()}
    pool = sum(room.values())
    for name in non_empty:
        exact = left * room[name] / pool if pool else 0
        assert int(exact) <= shares[name] - 1 <= int(exact) + 1


@settings(max_examples=150, deadline=None)
@given(sizes=populations, total=st.integers(min_value=1, max_value=400), seed=st.integers(0, 2**31))
def test_the_same_seed_draws_the_same_households_in_any_order(sizes, total, seed):
    units = _units(sizes)
    first = sampling.draw(units, total, seed)
    shuffled = list(units) + units[: len(units) // 3]  # read in another order, some rows twice
    random.Random(seed).shuffle(shuffled)
    assert sampling.draw(shuffled, total, seed) == first
    drawn = [unit for ids in first.values() for unit in ids]
    assert len(drawn) == len(set(drawn)) == min(total, len(units))
    stratum_of = dict(units)
    assert all(stratum_of[unit] == name for name, ids in first.items() for unit in ids)


def test_another_seed_draws_other_households():
    units = _units({"ordinary": 1000, "marginal": 200})
    draws = {tuple(sorted(sampling.draw(units, 50, seed)["ordinary"])) for seed in range(10)}
    assert len(draws) == 10


def test_a_worked_split():
    """60 of 1,000 ordinary, 300 lifted-out, 80 marginal, 20 unstable: 1 each, then the 56 others by
    size of what is left (999 : 299 : 79 : 19 of 1,396)."""
    sizes = {"ordinary": 1000, "lifted_out": 300, "marginal": 80, "unstable_lifted": 20}
    shares = sampling.allocate(60, sizes)
    # exact extra shares 40.07, 11.99, 3.17, 0.76 → 40, 11, 3, 0 and the two largest remainders (.99, .76)
    assert shares == {"ordinary": 41, "lifted_out": 13, "marginal": 4, "unstable_lifted": 2}


def test_equal_remainders_go_by_the_strata_names():
    # 2 left after one each, over room 4 : 1 : 1 → exact shares 4/3, 1/3, 1/3: "a" gets 1, and the one
    # left goes to the largest remainder, a tie of 1/3 everywhere, broken by name: "a" again
    assert sampling.allocate(5, {"a": 5, "b": 2, "c": 2}) == {"a": 3, "b": 1, "c": 1}
