"""The rules a person's declared details follow, wherever they are typed: the application form
(:mod:`screening.applications.forms`) and the register import (:mod:`screening.imports.validation`) call
these same functions, so a file is refused exactly where the form would refuse the same value, with the
same message. Each answers the message (lazy, in the reader's language) or None."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from screening.inputs import text_problem
from screening.people.identifiers import IdentifierError, parse_national_number

NAME_MAX = 100
NATIONAL_NUMBER_MAX = 20
REQUIRED_MESSAGE = _l("This field is required.")


def too_long(limit: int) -> Any:
    return _l("Field cannot be longer than %(max)d characters.", max=limit)


def text_value_problem(value: str | None, limit: int, *, required: bool = True) -> Any:
    """A single-line text: the input rule, then present (when ``required``), then at most ``limit``
    characters once stripped."""
    problem = text_problem(value)
    if problem is not None:
        return problem
    text = (value or "").strip()
    if not text:
        return REQUIRED_MESSAGE if required else None
    return too_long(limit) if len(text) > limit else None


def name_problem(value: str | None) -> Any:
    """A given or family name: required, one line, at most :data:`NAME_MAX` characters."""
    return text_value_problem(value, NAME_MAX)


def birth_date_problem(born: date, today: date) -> Any:
    """A date of birth nobody can have (in the future) or that is almost surely a typing error."""
    if born > today:
        return _l("A date of birth cannot be in the future.")
    if born.year < 1900:
        return _l("Please check the year of birth.")
    return None


def national_number_problem(raw: str, born: date | None) -> Any:
    """A national register or BIS number: its length, checksum and birth date, and that date against
    ``born`` (the declared date of birth, None when that one is missing or wrong itself)."""
    if len(raw) > NATIONAL_NUMBER_MAX:
        return too_long(NATIONAL_NUMBER_MAX)
    try:
        number = parse_national_number(raw)
    except IdentifierError as error:
        return _l(str(error))
    if born is not None and number.birth_date is not None and number.birth_date != born:
        return _l("This number does not match the date of birth.")
    return None
