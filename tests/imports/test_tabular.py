"""Reading register files as Excel writes them in Belgium: each file is written here the way Excel saves it
(Windows-1252 with ``;``, UTF-8 with a BOM, XLSX), then read back by :mod:`screening.imports.tabular`."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from screening.imports.tabular import (
    FORMULA_WITHOUT_VALUE,
    HEADERS,
    Line,
    TableError,
    open_table,
    template_csv,
    template_xlsx,
)

pytestmark = pytest.mark.nodb

DUTCH = ["Personeelsnummer", "Familienaam", "Voornamen", "Geboortedatum", "Rijksregisternummer",
         "Code kritieke functie", "Startdatum", "Einddatum"]  # fmt: skip
ENGLISH = [HEADERS[key]["en"] for key in HEADERS]


def excel_csv(rows: list[list[str]], *, encoding: str, separator: str = ";") -> io.BytesIO:
    """A CSV as Excel saves it: CRLF line ends, cells quoted only when they must be."""
    text = "".join(separator.join(_quoted(cell, separator) for cell in row) + "\r\n" for row in rows)
    return io.BytesIO(text.encode(encoding))


def _quoted(cell: str, separator: str) -> str:
    if any(character in cell for character in (separator, '"', "\n")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def read(stream: io.BytesIO, max_rows: int = 1000) -> tuple[str, str | None, tuple[str, ...], list[Line]]:
    with open_table(stream, max_rows) as table:
        return table.kind, table.encoding, table.fields, list(table.lines)


def refusal(stream: io.BytesIO, max_rows: int = 1000) -> str:
    with pytest.raises(TableError) as caught:
        read(stream, max_rows)
    return str(caught.value)


def test_windows_1252_with_semicolons_as_belgian_excel_saves_it():
    row = ["0042", "Müller-Lüdenscheidt", "Zoë Françoise", "30/07/1985", "85.07.30-033.28", "dock", "01/02/2024", ""]
    stream = excel_csv([DUTCH, row], encoding="cp1252")
    assert stream.getvalue().count(b"\xfc") == 2  # ü in Windows-1252: one byte, not UTF-8
    kind, encoding, fields, lines = read(stream)
    assert (kind, encoding) == ("csv", "cp1252")
    assert fields[:3] == ("personnel_number", "family_name", "given_names")
    assert lines[0].number == 2
    assert lines[0].cells["family_name"] == "Müller-Lüdenscheidt"
    assert lines[0].cells["given_names"] == "Zoë Françoise"
    assert lines[0].cells["personnel_number"] == "0042"  # leading zeros stay: every cell is text
    assert lines[0].cells["end_date"] == ""


def test_utf8_with_bom_and_commas():
    stream = excel_csv([ENGLISH, ["7", "Nowak-Wiśniewska", "Ahmet, Çelik", "1990-01-02", "", "DOCK", "2024-01-01", ""]],
                       encoding="utf-8-sig", separator=",")  # fmt: skip
    assert stream.getvalue().startswith(codecs.BOM_UTF8)
    kind, encoding, _fields, lines = read(stream)
    assert (kind, encoding) == ("csv", "utf-8-sig")
    assert lines[0].cells["personnel_number"] == "7"  # the BOM is not part of the first header
    assert lines[0].cells["family_name"] == "Nowak-Wiśniewska"
    assert lines[0].cells["given_names"] == "Ahmet, Çelik"  # quoted: one cell


def test_a_late_windows_1252_byte_switches_the_whole_file():
    rows = [ENGLISH] + [[str(n), "Plain", "Name", "01/01/1980", "", "DOCK", "01/01/2024", ""] for n in range(5000)]
    rows.append(["5000", "Hervé", "Zoé", "01/01/1980", "", "DOCK", "01/01/2024", ""])
    _kind, encoding, _fields, lines = read(excel_csv(rows, encoding="cp1252"), max_rows=10_000)
    assert encoding == "cp1252"
    assert lines[-1].cells["family_name"] == "Hervé"


def test_headers_in_french_any_case_without_accents():
    headers = ["NUMERO DE PERSONNEL", "nom de famille", "Prenoms", "Date de naissance", "Numéro de registre national",
               "Code de la fonction critique", "date de debut", ""]  # fmt: skip
    stream = excel_csv([headers, ["1", "Dupont", "Luc", "", "", "X", "", ""]], encoding="utf-8")
    _kind, _encoding, fields, lines = read(stream)
    assert "end_date" not in fields  # optional, and the blank header's column is ignored
    assert lines[0].cells["family_name"] == "Dupont"


def test_xlsx_with_a_formula_and_a_date_cell(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ENGLISH)
    sheet.append([1234, "Peeters", "An", datetime(1985, 7, 30), "85073003328", "DOCK", date(2024, 2, 1), None])
    sheet.append(["=1000+235", "Janssens", "Jan", "30/07/1985", "85.07.30-033.28", "DOCK", "01/02/2024", None])
    sheet.append([None] * 8)  # an empty row in the middle: skipped, the row numbers stay the sheet's
    sheet.append([1236, "Maes", '=UPPER("x")', 12345678901234567890, None, None, None, None])
    path = tmp_path / "register.xlsx"
    book.save(path)  # openpyxl writes formulas without cached values, as a program (not Excel) would
    with path.open("rb") as stream:
        kind, _encoding, _fields, lines = read(stream)
    assert kind == "xlsx"
    assert [line.number for line in lines] == [2, 3, 5]
    first, formula, text_in_date = lines
    assert first.cells["personnel_number"] == "1234"  # a number cell, without ".0"
    assert first.cells["date_of_birth"] == date(1985, 7, 30)  # a date cell is a date
    assert first.cells["start_date"] == date(2024, 2, 1)
    assert first.problems == {}
    assert formula.problems == {"personnel_number": FORMULA_WITHOUT_VALUE}  # never evaluated
    assert text_in_date.problems == {"given_names": FORMULA_WITHOUT_VALUE}
    number = text_in_date.cells["date_of_birth"]  # a 64-bit number: read as the float a sheet holds, as digits
    assert isinstance(number, str)
    assert number.isdigit()
    assert len(number) == 20


def test_xlsx_formula_with_the_value_excel_cached_is_read_as_that_value(tmp_path):
    path = tmp_path / "cached.xlsx"
    book = openpyxl.Workbook()
    book.active.append(ENGLISH)
    book.active.append(["=1+1", "Peeters", "An", "30/07/1985", "", "DOCK", "01/02/2024", None])
    book.save(path)
    _with_cached_value(path, "A2", "2")
    with path.open("rb") as stream:
        _kind, _encoding, _fields, lines = read(stream)
    assert lines[0].problems == {}
    assert lines[0].cells["personnel_number"] == "2"


def _with_cached_value(path, reference: str, value: str) -> None:
    """Fill a formula cell's ``<v>``, as Excel does when it saves (openpyxl writes it empty)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode()
    start = xml.index(f'<c r="{reference}"')
    end = xml.index("</c>", start)
    parts[sheet] = (xml[:start] + xml[start:end].replace("<v />", f"<v>{value}</v>") + xml[end:]).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)


def test_nul_bytes_reach_the_validation_as_they_are():
    _kind, _encoding, _fields, lines = read(
        excel_csv([ENGLISH, ["1", "Jan\x00ssens", "An", "", "", "", "", ""]], encoding="utf-8")
    )
    assert lines[0].cells["family_name"] == "Jan\x00ssens"  # refused there, at its cell


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\r\n\r\n", "The file is empty"),
        (b"Personnel number;Family name;Surname\r\n", "The column “Surname” is not one of the template's columns."),
        (b"Personnel number;Family name;Personeelsnummer\r\n", "appears twice"),
        (b"Personnel number;Family name\r\n", "The file has no column “Given names”."),
        (b"\xff\xfeP\x00e\x00", "UTF-16"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel file"),
        (b"PK\x03\x04not a zip", "not a readable workbook"),
        (b"Personnel number;Family name\r\n" + b"\x81\x8d", "Some characters of this file cannot be read"),
    ],
)
def test_files_refused_as_a_whole(content, message):
    assert message in refusal(io.BytesIO(content))


def test_a_file_with_only_headers_has_no_rows():
    _kind, _encoding, fields, lines = read(excel_csv([DUTCH], encoding="cp1252"))
    assert len(fields) == 8
    assert lines == []


def test_more_rows_than_allowed_is_refused():
    rows = [ENGLISH] + [[str(n), "A", "B", "", "", "", "", ""] for n in range(4)]
    assert "more than 3 rows" in refusal(excel_csv(rows, encoding="utf-8"), max_rows=3)


def test_a_zip_bomb_is_refused_before_it_is_opened():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<" + b"a" * 50_000_000 + b">")
    assert "not a readable workbook" in refusal(out)


@pytest.mark.parametrize("locale", ["en", "nl", "fr"])
def test_the_templates_read_back_with_every_column(locale):
    expected = [HEADERS[key][locale] for key in HEADERS]
    csv_template = template_csv(locale)
    assert csv_template.startswith(codecs.BOM_UTF8)
    assert csv_template.decode("utf-8-sig").strip().split(";") == expected
    for content in (csv_template, template_xlsx(locale)):
        _kind, _encoding, fields, lines = read(io.BytesIO(content))
        assert fields == tuple(HEADERS)
        assert lines == []
    sheet = openpyxl.load_workbook(io.BytesIO(template_xlsx(locale))).active
    assert [cell.value for cell in sheet[1]] == expected
    assert sheet.column_dimensions["D"].number_format == "DD/MM/YYYY"
