from __future__ import annotations

from datetime import date

import pytest

from screening.people.identifiers import (
    IdentifierError,
    make_enterprise_number,
    make_national_number,
    parse_enterprise_number,
    parse_national_number,
)

pytestmark = pytest.mark.nodb


def test_national_number_of_the_twentieth_century():
    number = parse_national_number("85.07.30-033.28")
    assert number.digits == "85073003328"
    assert number.birth_date == date(1985, 7, 30)
    assert not number.bis
    assert number.masked == "85.07.30-***.**"


def test_born_from_2000_uses_the_prefixed_check():
    digits = make_national_number(date(2003, 2, 14), 123)
    assert parse_national_number(digits).birth_date == date(2003, 2, 14)
    # The same digits with a 1900s check number are refused.
    body = digits[:9]
    wrong = f"{body}{97 - int(body) % 97:02d}"
    if wrong != digits:
        assert parse_national_number(wrong).birth_date == date(1903, 2, 14)


def test_bis_number_adds_forty_to_the_month():
    digits = make_national_number(date(1990, 5, 6), 7, bis=True)
    assert digits[2:4] == "45"
    parsed = parse_national_number(digits)
    assert parsed.bis and parsed.birth_date == date(1990, 5, 6)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("85.07.30-033.29", "wrong check"),
        ("8507300332", "11 digits"),
        ("850730033288", "11 digits"),
        ("85.07.3O-033.28", "11 digits"),
        ("", "11 digits"),
        (make_national_number(date(1985, 7, 30), 33)[:4] + "3" + "1" + "03328", "check"),
    ],
)
def test_bad_national_numbers_are_refused(raw, message):
    with pytest.raises(IdentifierError, match=message):
        parse_national_number(raw)


def test_enterprise_number():
    assert parse_enterprise_number("0403.170.701") == "0403.170.701"
    assert parse_enterprise_number("BE 0403 170 701") == "0403.170.701"
    assert parse_enterprise_number("403170701") == "0403.170.701"
    assert parse_enterprise_number(make_enterprise_number(42)).startswith("0")
    with pytest.raises(IdentifierError, match="check"):
        parse_enterprise_number("0403.170.702")
    with pytest.raises(IdentifierError, match="10 digits"):
        parse_enterprise_number("2403.170.701")
