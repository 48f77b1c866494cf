"""CPR numbers (SPEC section 7): the century table, impossible dates, masking and normalising."""

from datetime import date

import pytest
from pydantic import ValidationError

from models import cpr
from models.domain import CitizenTimeline

# SPEC section 7, written out as ranges: 7th digit → [(first YY, last YY, century)].
TABLE = {
    **{digit: [(0, 99, 1900)] for digit in (0, 1, 2, 3)},
    **{digit: [(0, 36, 2000), (37, 99, 1900)] for digit in (4, 9)},
    **{digit: [(0, 57, 2000), (58, 99, 1800)] for digit in (5, 6, 7, 8)},
}


def expected_year(digit: int, yy: int) -> int:
    (century,) = [c for first, last, c in TABLE[digit] if first <= yy <= last]
    return century + yy


def test_the_expected_table_covers_every_seventh_digit_and_every_two_digit_year_exactly_once() -> None:
    assert sorted(TABLE) == list(range(10))
    for ranges in TABLE.values():
        assert sorted(yy for first, last, _ in ranges for yy in range(first, last + 1)) == list(range(100))


@pytest.mark.parametrize("digit", range(10))
def test_the_century_of_every_two_digit_year_follows_the_spec_table_for_seventh_digit(digit: int) -> None:
    for yy in range(100):
        number = f"0101{yy:02d}-{digit}123"
        assert cpr.birth_date(number) == date(expected_year(digit, yy), 1, 1), number
        assert cpr.century(digit, yy) + yy == expected_year(digit, yy)


@pytest.mark.parametrize(
    ("number", "born"),
    [
        ("010136-4000", date(2036, 1, 1)),
        ("010137-4000", date(1937, 1, 1)),
        ("010157-5000", date(2057, 1, 1)),
        ("010158-8000", date(1858, 1, 1)),
        ("311299-3999", date(1999, 12, 31)),
        ("010100-9999", date(2000, 1, 1)),
    ],
)
def test_the_edges_of_the_century_table_give_the_right_birth_date(number: str, born: date) -> None:
    assert cpr.birth_date(number) == born
    assert cpr.birth_date(number.replace("-", "")) == born


@pytest.mark.parametrize(
    "number",
    [
        "310280-1234",  # 31 February
        "290201-0000",  # 29 February 1901: not a leap year
        "290200-0000",  # 29 February 1900: not a leap year (century years are leap only every 400)
        "000180-1234",  # day 0
        "011380-1234",  # month 13
        "3102801234",  # without the dash too
    ],
)
def test_a_cpr_number_whose_date_is_impossible_is_bad_input_and_the_message_is_masked(number: str) -> None:
    with pytest.raises(cpr.CprError) as raised:
        cpr.birth_date(number)
    assert number.replace("-", "")[6:] not in str(raised.value)  # the serial number is never shown
    assert f"{number[:6]}-xxxx" in str(raised.value)


def test_29_february_2000_is_a_real_birth_date_because_2000_is_a_leap_year() -> None:
    assert cpr.birth_date("290200-4000") == date(2000, 2, 29)


def test_no_modulus_11_check_is_made() -> None:
    assert cpr.birth_date("010190-0001") == date(1990, 1, 1)  # fails modulus 11, still valid


def test_a_citizen_file_with_an_impossible_cpr_number_is_rejected_naming_citizen_id() -> None:
    with pytest.raises(ValidationError) as raised:
        CitizenTimeline.model_validate({"citizen_id": "310280-1234"})
    assert raised.value.errors()[0]["loc"] == ("citizen_id",)


@pytest.mark.parametrize("number", ["0503791234", "050379-1234", " 050379-1234 "])
def test_a_cpr_number_is_masked_with_or_without_dash(number: str) -> None:
    assert cpr.mask(number.strip()) == "050379-xxxx"
    assert cpr.shown(number.strip()) == "050379-xxxx"
    assert cpr.shown(number.strip(), full=True) == number.strip()


@pytest.mark.parametrize("pseudonym", ["fsm-test-1", "ABC_123", "x", "05037912345", "050379-123", "a" * 64])
def test_pseudonyms_are_not_personal_data_and_are_left_untouched(pseudonym: str) -> None:
    assert not cpr.is_cpr(pseudonym)
    assert cpr.birth_date(pseudonym) is None
    assert cpr.mask(pseudonym) == pseudonym
    assert cpr.shown(pseudonym) == pseudonym
    assert cpr.normalise(pseudonym) == pseudonym


def test_normalise_adds_the_dash_and_keeps_a_dashed_number_as_it_is() -> None:
    assert cpr.normalise("0503791234") == "050379-1234"
    assert cpr.normalise("050379-1234") == "050379-1234"


def test_a_citizen_file_stores_the_cpr_number_with_the_dash_and_derives_the_birth_date() -> None:
    citizen = CitizenTimeline.model_validate({"citizen_id": "2902004000"})
    assert citizen.citizen_id == "290200-4000"
    assert citizen.born == date(2000, 2, 29)
