"""Every row of a register file is checked with the application form's own rules: the same value gets the
same message at its cell as at the form's field, in the reader's language."""

from __future__ import annotations

import io
from contextlib import AbstractContextManager, nullcontext
from datetime import date, timedelta

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from screening.applications.forms import ApplicationForm
from screening.db import db
from screening.imports.tabular import FORMULA_WITHOUT_VALUE, HEADERS, open_table
from screening.imports.validation import CheckedRow, catalogue, check_all
from screening.people.identifiers import make_national_number
from tests.imports.test_tabular import ENGLISH, excel_csv

TODAY = date(2026, 12, 2)
BORN = date(1985, 7, 30)
NUMBER = make_national_number(BORN, 33)


def good(**changes: str) -> list[str]:
    row = {"personnel_number": "P1", "family_name": "Peeters", "given_names": "An Marie", "date_of_birth": "30/07/1985",
           "national_number": NUMBER, "function_code": "DOCK", "start_date": "01/02/2024", "end_date": ""}  # fmt: skip
    row.update(changes)
    return [row[key] for key in HEADERS]


def checked(*rows: list[str], encoding: str = "cp1252", locale: str | None = "en") -> list[CheckedRow]:
    """The rows checked, the messages in ``locale`` (None: the current request's language)."""
    with open_table(excel_csv([ENGLISH, *rows], encoding=encoding), 1000) as table, in_locale(locale):
        return check_all(table.lines, catalogue(), TODAY)


def in_locale(locale: str | None) -> AbstractContextManager[object]:
    return force_locale(locale) if locale else nullcontext()


@pytest.fixture
def dock(factory):
    return factory.function(code="DOCK")


def test_a_good_row_gives_the_values_the_register_takes(app, dock):
    (row,) = checked(good(national_number="85.07.30-033.28" if NUMBER == "85073003328" else NUMBER))
    assert row.errors == {}
    assert row.values == {
        "personnel_number": "P1", "family_name": "Peeters", "given_names": "An Marie", "date_of_birth": BORN,
        "national_number": NUMBER, "function_code": "DOCK", "function_id": dock.id,
        "start_date": date(2024, 2, 1), "end_date": None,
    }  # fmt: skip


def test_dates_in_iso_day_first_and_as_excel_date_cells(app, dock):
    rows = checked(good(date_of_birth="1985-07-30", start_date="1/2/2024", end_date="31.12.2025"))
    assert rows[0].errors == {}
    assert (rows[0].values["start_date"], rows[0].values["end_date"]) == (date(2024, 2, 1), date(2025, 12, 31))
    for wrong in ("31/02/2024", "1/2/24", "2024/02/01", "yesterday", "01/02/2024 08:00"):
        (row,) = checked(good(start_date=wrong))
        assert row.errors == {"start_date": "Write the date as dd/mm/yyyy, for example 31/01/2025."}, wrong


def test_each_rule_answers_at_its_cell(app, dock):
    expected = {
        "family_name": ("", "This field is required."),
        "given_names": ("x" * 101, "Field cannot be longer than 100 characters."),
        "date_of_birth": ((TODAY + timedelta(days=1)).strftime("%d/%m/%Y"), "A date of birth cannot be in the future."),
        "national_number": ("85.07.30-033.29", "This national register number has a wrong check number."),
        "function_code": ("CRANE", "No critical function has the code CRANE."),
        "end_date": ("01/01/2024", "The end date is before the start date."),
        "start_date": ("", "This field is required."),
        "personnel_number": ("P" * 65, "Field cannot be longer than 64 characters."),
    }
    for key, (value, message) in expected.items():
        (row,) = checked(good(**{key: value}))
        assert row.errors == {key: message}, key


def test_a_start_before_the_birth_is_refused_as_the_register_refuses_it(app, dock):
    (row,) = checked(good(start_date="29/07/1985"))
    assert row.errors == {"start_date": "The start date is before the date of birth."}


def test_the_number_must_match_the_date_of_birth(app, dock):
    (row,) = checked(good(date_of_birth="31/07/1985"))
    assert row.errors == {"national_number": "This number does not match the date of birth."}


def test_nul_and_other_control_characters_are_refused_at_their_cell(app, dock):
    rows = checked(good(family_name="Jan\x00ssens"), good(personnel_number="P2", given_names="An\tMarie"),
                   good(personnel_number="P3\u202e", function_code="DO\x00CK"), encoding="utf-8")  # fmt: skip
    message = "Remove the control characters (such as a tab or a NUL) from this field."
    assert rows[0].errors == {"family_name": message}
    assert rows[1].errors == {"given_names": message}
    assert rows[2].errors == {
        "personnel_number": "Remove the invisible text-direction characters from this field.",
        "function_code": message,
    }
    assert "family_name" not in rows[0].values  # a refused text is never kept


def test_a_repeated_personnel_number_flags_both_rows(app, dock):
    rows = checked(good(), good(personnel_number="P2"), good(family_name="Other"))
    assert rows[0].errors == {"personnel_number": "The same personnel number is also on row 4."}
    assert rows[1].errors == {}
    assert rows[2].errors == {"personnel_number": "The same personnel number is also on row 2."}


def test_a_64_bit_number_as_a_function_code_is_an_unknown_code(app, dock, backend):
    (row,) = checked(good(function_code=str(2**63 - 1)))
    assert row.errors == {"function_code": f"No critical function has the code {2**63 - 1}."}
    (row,) = checked(good(function_code=str(2**64)))
    assert row.errors == {"function_code": f"No critical function has the code {2**64}."}


def test_a_function_no_longer_in_use(app, factory):
    from screening.actors import Actor
    from screening.catalogue.operations import save_function

    old = factory.function(code="OLD")
    save_function(Actor(label="t", role="admin"), code="OLD", name_en="a", name_nl="b", name_fr="c", category=1,
                  active=False, function=old)  # fmt: skip
    db.session.commit()
    (row,) = checked(good(function_code="old"))
    assert row.errors == {"function_code": "The critical function old is no longer in use."}


def test_the_catalogue_is_read_once_for_the_whole_file(app, factory):
    for code in ("A1", "B2", "C3"):
        factory.function(code=code)
    statements: list[str] = []
    engine = db.engine

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        codes = ("A1", "b2", "C3", "ZZ")
        rows = checked(*(good(personnel_number=str(n), function_code=codes[n % 4]) for n in range(200)))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [statement for statement in statements if statement.startswith("SELECT")] == [
        "SELECT critical_functions.code, critical_functions.id, critical_functions.active \nFROM critical_functions"
    ]
    assert sum(1 for row in rows if row.errors) == 50


def test_xlsx_cells_a_date_a_formula_without_value_and_a_64_bit_code(app, dock, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(ENGLISH)
    book.active.append(["P1", "Peeters", "An", BORN, NUMBER, "DOCK", date(2024, 2, 1), None])
    book.active.append(['=CONCAT("P",2)', "Maes", "Jan", BORN, NUMBER, "DOCK", date(2024, 2, 1), None])
    book.active.append(["P3", "Claes", "Els", BORN, NUMBER, 2**63 - 1, date(2024, 2, 1), None])
    path = tmp_path / "register.xlsx"
    book.save(path)
    with path.open("rb") as stream, open_table(stream, 100) as table, force_locale("en"):
        rows = check_all(table.lines, catalogue(), TODAY)
    assert rows[0].errors == {}
    assert rows[0].values["date_of_birth"] == BORN
    assert rows[1].errors == {"personnel_number": FORMULA_WITHOUT_VALUE}
    assert list(rows[2].errors) == ["function_code"]


@pytest.mark.parametrize("locale", ["nl", "fr"])
def test_the_messages_are_the_forms_in_the_readers_language(app, dock, locale):
    """The same wrong values typed into the application form and written in a file: the same messages."""
    wrong = {"family_name": "", "given_names": "Jan\x00", "date_of_birth": "1850-01-01",
             "national_number": "85.07.30-033.29"}  # fmt: skip
    with app.test_request_context(), force_locale(locale):
        form = ApplicationForm(formdata=MultiDict({**wrong, "nationality": "BE", "locale": "nl"}), meta={"csrf": False})
        form.function_id.choices = [(dock.id, "DOCK")]
        form.validate()
        (row,) = checked(good(**wrong), locale=None)
        for key in wrong:
            assert row.errors[key] == form.errors[key][0], key
        assert row.errors["family_name"] != "This field is required."  # translated


def test_a_row_without_a_date_of_birth_still_checks_the_number(app, dock):
    (row,) = checked(good(date_of_birth="", national_number="12345678901"))
    assert row.errors == {
        "date_of_birth": "This field is required.",
        "national_number": "This national register number has a wrong check number.",
    }


def test_utf8_with_bom_file_checks_like_the_windows_file(app, dock):
    rows_1252 = checked(good(family_name="Müller"), encoding="cp1252")
    rows_utf8 = checked(good(family_name="Müller"), encoding="utf-8-sig")
    assert rows_1252[0].values == rows_utf8[0].values
    assert rows_utf8[0].values["family_name"] == "Müller"


def test_an_empty_stream_gives_no_rows(app, dock):
    with open_table(io.BytesIO(excel_csv([ENGLISH], encoding="utf-8").getvalue()), 10) as table:
        assert check_all(table.lines, catalogue(), TODAY) == []


def test_a_refused_file_is_explained_in_the_readers_language(app):
    from screening.imports.tabular import TableError
    from screening.imports.validation import table_message

    with pytest.raises(TableError) as caught, open_table(io.BytesIO(b"Personeelsnummer;Familienaam\r\n"), 10):
        pass
    with app.test_request_context(), force_locale("nl"):
        assert table_message(caught.value) == "Het bestand heeft geen kolom “Voornamen”."
    with app.test_request_context(), force_locale("fr"):
        assert table_message(caught.value) == "Le fichier n'a pas de colonne « Prénoms »."
