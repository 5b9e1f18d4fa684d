"""Resident ID numbers (GB 11643-1999): validation, normalization, masking."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.areas.divisions import id_area_code_exists
from fupin.domain import idnumber
from fupin.domain.idnumber import IdNumberError

# A published example from GB 11643-1999's appendix: 11010519491231002X (Beijing Chaoyang, woman).
STANDARD_EXAMPLE = "11010519491231002X"


def test_standard_example_is_valid_and_decoded():
    info = idnumber.parse(STANDARD_EXAMPLE, area_exists=id_area_code_exists)
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.sex == "F"
    assert info.area_code == "110105"


def test_check_character_follows_iso_7064():
    # Weighted sum of 11010519491231002 is 167; 167 mod 11 = 2 → 'X'.
    assert idnumber.check_character("11010519491231002") == "X"


def test_wrong_check_character_is_reported_with_the_expected_one():
    with pytest.raises(IdNumberError) as caught:
        idnumber.parse("110105194912310021")
    assert caught.value.code == "check"
    assert caught.value.params == {"expected": "X", "given": "1"}


@pytest.mark.parametrize(
    ("birth", "problem"),
    [
        ("19490230", "birth_date"),
        ("19491301", "birth_date"),
        ("20990101", "birth_range"),
        ("18500101", "birth_range"),
    ],
)
def test_impossible_birth_dates(birth, problem):
    first17 = f"220822{birth}123"
    with pytest.raises(IdNumberError) as caught:
        idnumber.parse(first17 + idnumber.check_character(first17), today=dt.date(2026, 11, 24))
    assert caught.value.code == problem


def test_unknown_area_code_is_refused_but_abolished_codes_are_accepted():
    unknown = idnumber.make("999999", dt.date(1980, 1, 1), 11)
    with pytest.raises(IdNumberError) as caught:
        idnumber.parse(unknown, area_exists=id_area_code_exists)
    assert caught.value.code == "area"
    # 220181 was 九台市 until it became 长春市九台区 (220113) in 2014: older ID numbers still carry it.
    abolished = idnumber.make("220181", dt.date(1960, 3, 1), 11)
    assert id_area_code_exists("220181")
    idnumber.parse(abolished, area_exists=id_area_code_exists)


def test_sex_must_agree_with_the_sequence_digit():
    man = idnumber.parse(idnumber.make("220822", dt.date(1980, 5, 17), 123))
    assert man.sex == "M"
    with pytest.raises(IdNumberError) as caught:
        idnumber.check_against_record(man, sex="F", birth_date=None)
    assert caught.value.code == "sex"
    idnumber.check_against_record(man, sex="M", birth_date=dt.date(1980, 5, 17))
    with pytest.raises(IdNumberError):
        idnumber.check_against_record(man, sex="M", birth_date=dt.date(1980, 5, 18))


@pytest.mark.parametrize(
    "raw",
    [
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and letter, as typed with a Chinese IME
        "11010519491231002x",  # lower-case x
        " 110105 19491231 002X ",  # spaces from copy-paste
        "１１０１０５１９４９１２３１００２ｘ",
    ],
)
def test_full_width_and_lower_case_input_is_normalized(raw):
    assert idnumber.parse(raw).number == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    ("raw", "problem"), [("11010519491231002", "length"), ("1101051949123100X2", "characters")]
)
def test_length_and_characters(raw, problem):
    with pytest.raises(IdNumberError) as caught:
        idnumber.parse(raw)
    assert caught.value.code == problem


def test_mask_keeps_four_and_four():
    assert idnumber.mask("22082219800517123X") == "2208**********123X"


birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 1, 1))


@given(birth=birth_dates, sequence=st.integers(0, 999))
def test_every_made_number_parses_back(birth, sequence):
    number = idnumber.make("220822", birth, sequence)
    info = idnumber.parse(number, today=dt.date(2026, 11, 24))
    assert info.birth_date == birth
    assert info.sex == ("M" if sequence % 2 else "F")


@given(birth=birth_dates, sequence=st.integers(0, 999), position=st.integers(0, 16), delta=st.integers(1, 9))
def test_any_single_digit_error_is_caught(birth, sequence, position, delta):
    """MOD 11-2 detects every single-digit substitution: a mistyped digit never passes."""
    number = idnumber.make("220822", birth, sequence)
    digit = (int(number[position]) + delta) % 10
    typo = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(IdNumberError):
        idnumber.parse(typo, today=dt.date(2026, 11, 24))


@given(birth=birth_dates, sequence=st.integers(0, 999), position=st.integers(0, 15))
def test_any_adjacent_transposition_is_caught(birth, sequence, position):
    number = idnumber.make("220822", birth, sequence)
    if number[position] == number[position + 1]:
        return
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    with pytest.raises(IdNumberError):
        idnumber.parse(swapped, today=dt.date(2026, 11, 24))
