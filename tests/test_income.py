"""Per-capita net income: the one function (domain.md section 3), and the record that uses it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.domain.income import per_capita_net_income

D = Decimal


def test_worked_example():
    # (30,000 + 8,000 + 500 + 3,500 − 6,000) ÷ 4 = 9,000 yuan per person.
    value = per_capita_net_income(
        wage=D(30000),
        business=D(8000),
        property_income=D(500),
        transfer=D(3500),
        business_expenditure=D(6000),
        household_size=4,
    )
    assert value == D("9000.00")


def test_excluded_allowances_only_when_the_setting_says_so():
    kwargs = dict(
        wage=D(10000),
        business=D(0),
        property_income=D(0),
        transfer=D(3000),
        business_expenditure=D(0),
        household_size=2,
        excluded_transfer=D(1000),
    )
    assert per_capita_net_income(**kwargs, exclude_listed_allowances=True) == D("6000.00")
    assert per_capita_net_income(**kwargs, exclude_listed_allowances=False) == D("6500.00")


def test_rounding_to_the_fen_half_up():
    value = per_capita_net_income(
        wage=D(10000),
        business=D(0),
        property_income=D(0),
        transfer=D(0),
        business_expenditure=D(0),
        household_size=3,
    )
    assert value == D("3333.33")
    value = per_capita_net_income(
        wage=D("0.05"),
        business=D(0),
        property_income=D(0),
        transfer=D(0),
        business_expenditure=D(0),
        household_size=2,
    )
    assert value == D("0.03")


def test_empty_household_has_no_per_capita_income():
    assert (
        per_capita_net_income(
            wage=D(1),
            business=D(0),
            property_income=D(0),
            transfer=D(0),
            business_expenditure=D(0),
            household_size=0,
        )
        is None
    )


money = st.decimals(min_value=0, max_value=1_000_000, places=2)


@given(wage=money, business=money, prop=money, transfer=money, expenditure=money, size=st.integers(1, 15))
def test_per_capita_times_size_gives_back_the_total_within_rounding(
    wage, business, prop, transfer, expenditure, size
):
    value = per_capita_net_income(
        wage=wage,
        business=business,
        property_income=prop,
        transfer=transfer,
        business_expenditure=expenditure,
        household_size=size,
    )
    total = wage + business + prop + transfer - expenditure
    assert value is not None
    assert abs(value * size - total) <= D("0.005") * size


@given(
    wage=money, extra=st.decimals(min_value=D("0.01"), max_value=10_000, places=2), size=st.integers(1, 10)
)
def test_more_expenditure_never_raises_income(wage, extra, size):
    base = dict(wage=wage, business=D(0), property_income=D(0), transfer=D(0), household_size=size)
    low = per_capita_net_income(**base, business_expenditure=extra)
    high = per_capita_net_income(**base, business_expenditure=D(0))
    assert low is not None and high is not None and low <= high


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-(10**9), max_value=10**9),  # net income in fen, negative too
            st.integers(min_value=0, max_value=12),  # household size, 0 included
        ),
        min_size=1,
        max_size=40,
    )
)
def test_the_column_formula_is_the_one_formula(records):
    """``per_capita_from_fen`` (whole columns, for indicator snapshots) rounds exactly as the function."""
    import math

    from fupin.domain.income import per_capita_from_fen

    columns = per_capita_from_fen([fen for fen, _ in records], [size for _, size in records])
    for (fen, size), value in zip(records, columns, strict=True):
        expected = per_capita_net_income(
            wage=Decimal(fen) / 100,
            business=Decimal(0),
            property_income=Decimal(0),
            transfer=Decimal(0),
            business_expenditure=Decimal(0),
            household_size=size,
        )
        if expected is None:
            assert math.isnan(value)
        else:
            assert value == float(expected), (fen, size)
