"""Every row of a register file checked with the application form's own rules (:mod:`screening.people.rules`:
names, date of birth, national register number, the input rule against control characters), its dates
(dd/mm/yyyy as Belgian Excel writes them, or ISO), its critical function against the catalogue, and its
personnel number against the file's other rows.

The check streams: :meth:`RowChecker.check` answers each row as it is read. A personnel number's second
row is flagged at once; its first row, already answered, is named afterwards by
:meth:`RowChecker.repeated_first_rows`, so a caller that stores rows flags it too (both rows are wrong: the
file does not say which one is meant). The only state kept is one entry per personnel number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from screening.catalogue.models import CriticalFunction
from screening.db import db
from screening.imports.tabular import DATE_FIELDS, HEADERS, OPTIONAL, Cell, Line, TableError
from screening.inputs import text_problem
from screening.people.identifiers import parse_national_number
from screening.people.rules import (
    REQUIRED_MESSAGE,
    birth_date_problem,
    name_problem,
    national_number_problem,
    text_value_problem,
)

PERSONNEL_NUMBER_MAX = 64
FUNCTION_CODE_MAX = 40
_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DATE_MESSAGE = _l("Write the date as dd/mm/yyyy, for example 31/01/2025.")
END_BEFORE_START = _l("The end date is before the start date.")


@dataclass(frozen=True)
class Function:
    id: int
    active: bool


@dataclass
class CheckedRow:
    """One row as checked: its number in the file, the values read (text stripped, dates as dates, the
    national number as 11 digits, ``function_id``), and the message of each wrong cell by field."""

    number: int
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def catalogue() -> dict[str, Function]:
    """Every critical function by code, in one query (the catalogue holds tens of functions, a file may
    name each of them thousands of times)."""
    rows = db.session.execute(select(CriticalFunction.code, CriticalFunction.id, CriticalFunction.active))
    return {code: Function(id, active) for code, id, active in rows}


def parse_date(value: Cell) -> date | None:
    """A date cell, ``dd/mm/yyyy`` (also with ``-`` or ``.``, day and month on one digit) or ``yyyy-mm-dd``;
    None when it is none of these or no such day exists."""
    if isinstance(value, date):
        return value
    text = value.strip()
    match = _ISO.fullmatch(text)
    if match is not None:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _DAY_FIRST.fullmatch(text)
        if match is None:
            return None
        day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


#: The text columns and the rule each follows (the names: the form's own).
TEXT_RULES: dict[str, Callable[[str], Any]] = {
    "personnel_number": lambda text: text_value_problem(text, PERSONNEL_NUMBER_MAX),
    "family_name": name_problem,
    "given_names": name_problem,
    "function_code": lambda text: text_value_problem(text, FUNCTION_CODE_MAX),
}


def _text(value: Cell) -> str:
    return value.isoformat() if isinstance(value, date) else value


class RowChecker:
    """Checks the rows of one file, in order, against the catalogue as read once at the start."""

    def __init__(self, functions: dict[str, Function], today: date) -> None:
        self.functions = functions
        self.today = today
        self._first_row: dict[str, int] = {}
        self._repeated: dict[int, int] = {}

    def check(self, line: Line) -> CheckedRow:
        row = CheckedRow(line.number, {})
        for key, message in line.problems.items():
            row.errors[key] = gettext(message)
        cells = {key: value for key, value in line.cells.items() if key not in row.errors}
        self._texts(row, cells)
        self._dates(row, cells)
        self._national_number(row, cells)
        self._function(row, cells)
        self._personnel_number(row)
        return row

    def repeated_first_rows(self) -> dict[int, str]:
        """The first row of every personnel number that came again, with its message (call after the last
        row: a number's first row cannot know it is repeated when it is checked)."""
        return {
            first: gettext("The same personnel number is also on row %(row)d.", row=later)
            for first, later in self._repeated.items()
        }

    def _texts(self, row: CheckedRow, cells: dict[str, Cell]) -> None:
        for key, rule in TEXT_RULES.items():
            if key not in cells:
                continue
            text = _text(cells[key])
            problem = rule(text)
            if problem is not None:
                row.errors[key] = str(problem)
            else:
                row.values[key] = text.strip()

    def _dates(self, row: CheckedRow, cells: dict[str, Cell]) -> None:
        for key in sorted(DATE_FIELDS & cells.keys()):
            value = cells[key]
            if value == "" or (isinstance(value, str) and not value.strip()):
                if key not in OPTIONAL:
                    row.errors[key] = str(REQUIRED_MESSAGE)
                row.values[key] = None
                continue
            parsed = parse_date(value)
            if parsed is None:
                row.errors[key] = str(DATE_MESSAGE)
                continue
            row.values[key] = parsed
        born = row.values.get("date_of_birth")
        if born is not None:
            problem = birth_date_problem(born, self.today)
            if problem is not None:
                row.errors["date_of_birth"] = str(problem)
                del row.values["date_of_birth"]
        start, end = row.values.get("start_date"), row.values.get("end_date")
        if start is not None and end is not None and end < start:
            row.errors["end_date"] = str(END_BEFORE_START)
        born = row.values.get("date_of_birth")
        if start is not None and born is not None and start < born:  # the register refuses it too
            row.errors["start_date"] = gettext("The start date is before the date of birth.")

    def _national_number(self, row: CheckedRow, cells: dict[str, Cell]) -> None:
        if "national_number" not in cells:
            return
        text = _text(cells["national_number"])
        problem = text_problem(text) or (None if text.strip() else REQUIRED_MESSAGE)
        if problem is None:
            problem = national_number_problem(text.strip(), row.values.get("date_of_birth"))
        if problem is not None:
            row.errors["national_number"] = str(problem)
        else:
            row.values["national_number"] = parse_national_number(text.strip()).digits

    def _function(self, row: CheckedRow, cells: dict[str, Cell]) -> None:
        code = row.values.get("function_code")
        if code is None:
            return
        function = self.functions.get(code.upper())
        if function is None:
            row.errors["function_code"] = gettext("No critical function has the code %(code)s.", code=code)
        elif not function.active:
            row.errors["function_code"] = gettext("The critical function %(code)s is no longer in use.", code=code)
        else:
            row.values["function_id"] = function.id

    def _personnel_number(self, row: CheckedRow) -> None:
        number = row.values.get("personnel_number")
        if number is None:
            return
        first = self._first_row.setdefault(number, row.number)
        if first != row.number:
            self._repeated.setdefault(first, row.number)
            row.errors["personnel_number"] = gettext("The same personnel number is also on row %(row)d.", row=first)


def table_message(error: TableError) -> str:
    """Why a whole file was refused, in the reader's language; a missing column is named by its header in
    that language."""
    values = dict(error.values)
    if "field" in values:
        values["name"] = HEADERS[values["field"]].get(str(get_locale() or "en"), values["name"])
    return gettext(error.message, **values)


def check_all(lines: Iterable[Line], functions: dict[str, Function], today: date) -> list[CheckedRow]:
    """Every row of a file checked, in a list, the repeated personnel numbers' first rows flagged too: for
    a file small enough to hold (tests, the command line); the import job streams with :class:`RowChecker`."""
    checker = RowChecker(functions, today)
    rows = [checker.check(line) for line in lines]
    repeated = checker.repeated_first_rows()
    for row in rows:
        if row.number in repeated:
            row.errors.setdefault("personnel_number", repeated[row.number])
    return rows
