"""Belgian identifiers: national register numbers (including BIS numbers) and enterprise numbers.

A national register number is YYMMDD (birth date) + 3-digit serial + 2-digit check, where the check is
97 - (first nine digits mod 97); for people born from 2000 on, the nine digits are prefixed with "2"
before the modulo. BIS numbers add 20 (sex unknown) or 40 (sex known) to the month. The birth date
may be partly unknown (month or day 00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_NON_DIGITS = re.compile(r"[\s.\-/]")


class IdentifierError(ValueError):
    """A malformed identifier; the message is safe to show at the form field."""


@dataclass(frozen=True)
class NationalNumber:
    digits: str
    birth_date: date | None
    bis: bool

    @property
    def formatted(self) -> str:
        d = self.digits
        return f"{d[0:2]}.{d[2:4]}.{d[4:6]}-{d[6:9]}.{d[9:11]}"

    @property
    def masked(self) -> str:
        """Shown outside the authority: the birth-date part only, never serial or check digits."""
        d = self.digits
        return f"{d[0:2]}.{d[2:4]}.{d[4:6]}-***.**"


def _digits(raw: str) -> str:
    return _NON_DIGITS.sub("", raw or "")


def parse_national_number(raw: str) -> NationalNumber:
    """Validate a national register or BIS number and return it normalised."""
    digits = _digits(raw)
    if not digits.isdigit() or len(digits) != 11:
        raise IdentifierError("A national register number has 11 digits.")
    body, check = int(digits[:9]), int(digits[9:])
    if 97 - body % 97 == check:
        century = 1900
    elif 97 - int("2" + digits[:9]) % 97 == check:
        century = 2000
    else:
        raise IdentifierError("This national register number has a wrong check number.")
    year, month, day = century + int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    bis = month > 12
    if month >= 40:
        month -= 40
    elif month >= 20:
        month -= 20
    if month > 12 or day > 31:
        raise IdentifierError("This national register number does not contain a valid birth date.")
    birth_date: date | None = None
    if month and day:
        try:
            birth_date = date(year, month, day)
        except ValueError:
            raise IdentifierError("This national register number does not contain a valid birth date.") from None
    return NationalNumber(digits=digits, birth_date=birth_date, bis=bis)


#: Identity documents a person without a national register number may be identified by; the type is part
#: of the identity, as is the issuing country (a passport and an identity card may carry the same number).
DOCUMENT_TYPES = ("passport", "identity_card", "residence_permit")
_DOCUMENT_SEPARATORS = re.compile(r"[\s.\-/]")
_DOCUMENT_NUMBER = re.compile(r"[A-Z0-9]{3,30}")


def parse_document_number(raw: str) -> str:
    """Validate an identity document number and return it normalised: upper case, without the spaces, dots,
    hyphens and slashes people type between its groups. Blank or whitespace is not a number."""
    number = _DOCUMENT_SEPARATORS.sub("", raw or "").upper()
    if not number:
        raise IdentifierError("Give the document number.")
    if not _DOCUMENT_NUMBER.fullmatch(number):
        raise IdentifierError("A document number has 3 to 30 letters and digits.")
    return number


def mask_national_number(digits: str) -> str:
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}-***.**"


def parse_enterprise_number(raw: str) -> str:
    """Validate a Belgian enterprise number (KBO/BCE) and return it as 0123.456.749."""
    digits = _digits(raw.upper().removeprefix("BE"))
    if len(digits) == 9:
        digits = "0" + digits
    if not digits.isdigit() or len(digits) != 10 or digits[0] not in "01":
        raise IdentifierError("An enterprise number has 10 digits and starts with 0 or 1.")
    if 97 - int(digits[:8]) % 97 != int(digits[8:]):
        raise IdentifierError("This enterprise number has a wrong check number.")
    return f"{digits[0:4]}.{digits[4:7]}.{digits[7:10]}"


def make_national_number(birth: date, serial: int, *, bis: bool = False) -> str:
    """Build a valid number (demo data and tests): the inverse of :func:`parse_national_number`."""
    month = birth.month + (40 if bis else 0)
    body = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial:03d}"
    base = int(("2" + body) if birth.year >= 2000 else body)
    return f"{body}{97 - base % 97:02d}"


def make_enterprise_number(seed: int) -> str:
    body = f"0{seed % 10**7:07d}"
    return parse_enterprise_number(f"{body}{97 - int(body) % 97:02d}")
