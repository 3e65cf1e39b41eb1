"""Reading an uploaded register file (CSV or XLSX) into rows of cells, one row at a time, and writing the
empty template those files start from. No Flask here: the caller translates the messages (marked ``N_``).

What Excel writes in Belgium, and how each is read:

- **CSV** separated by ``;`` (nl-BE, fr-BE) or ``,`` (en): the separator is the one of the two the header
  line holds more of.
- **Encoding**: UTF-8 with a BOM ("CSV UTF-8"), UTF-8 without one, or Windows-1252 ("CSV (;)"). The whole
  file is first decoded as strict UTF-8, a chunk at a time; if any byte sequence is not UTF-8, it is read
  as Windows-1252. Text in Windows-1252 that is also valid UTF-8 needs two or more accented capitals and
  symbols in a row (``Ã©``), which no name holds: the guess is safe in practice. A UTF-16 file (Excel's
  "Unicode text") or bytes Windows-1252 does not define are refused with a message that says how to save.
- **XLSX** through openpyxl in read-only mode (rows stream from the zip; memory stays flat). Cells are read
  with ``data_only=True``: a formula gives the value Excel computed and cached when it saved. A formula
  with no cached value (a file written by a program, never opened in Excel) is reported at its cell, never
  evaluated; finding those needs a second, parallel pass with the formulas. Date cells come as dates.
  The old ``.xls`` format is refused with a message.

Headers may be written in English, Dutch or French, in any case, with or without accents.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO, Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException


def N_(message: str) -> str:
    """Marks a message for the catalogues; the caller translates it (no Flask in this module)."""
    return message


#: The register's columns, in the template's order.
FIELDS = (
    "personnel_number",
    "family_name",
    "given_names",
    "date_of_birth",
    "national_number",
    "function_code",
    "start_date",
    "end_date",
)
DATE_FIELDS = frozenset({"date_of_birth", "start_date", "end_date"})
#: Columns a file may leave out (a leaver's end date is empty until they leave).
OPTIONAL = frozenset({"end_date"})
#: The header of each column in the three languages; a file may use any of them.
HEADERS = {
    "personnel_number": {"en": "Personnel number", "nl": "Personeelsnummer", "fr": "Numéro de personnel"},
    "family_name": {"en": "Family name", "nl": "Familienaam", "fr": "Nom de famille"},
    "given_names": {"en": "Given names", "nl": "Voornamen", "fr": "Prénoms"},
    "date_of_birth": {"en": "Date of birth", "nl": "Geboortedatum", "fr": "Date de naissance"},
    "national_number": {
        "en": "National register number",
        "nl": "Rijksregisternummer",
        "fr": "Numéro de registre national",
    },
    "function_code": {
        "en": "Critical function code",
        "nl": "Code kritieke functie",
        "fr": "Code de la fonction critique",
    },
    "start_date": {"en": "Start date", "nl": "Startdatum", "fr": "Date de début"},
    "end_date": {"en": "End date", "nl": "Einddatum", "fr": "Date de fin"},
}
CHUNK = 64 * 1024
BOMS_REFUSED = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
#: An XLSX whose parts unpack to more than this many times the file's size is refused (a zip bomb: the
#: shared strings are read into memory whole, even in read-only mode).
MAX_UNPACK_RATIO = 100

Cell = str | date


class TableError(Exception):
    """The file as a whole cannot be read. ``message`` is marked ``N_``; ``values`` fill its placeholders."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message % values if values else message)
        self.message = message
        self.values = values


@dataclass(frozen=True)
class Line:
    """One row of the file: its number as a spreadsheet shows it (the header is row 1), its cells by field,
    and the cells that could not be read (field -> message marked ``N_``, with no placeholders)."""

    number: int
    cells: dict[str, Cell]
    problems: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    """An open file: its format (``csv`` or ``xlsx``), the encoding a CSV was read in, the fields its
    columns hold, in the file's order, and its rows (read as they are iterated, once)."""

    kind: str
    encoding: str | None
    fields: tuple[str, ...]
    lines: Iterator[Line]


def _folded(text: str) -> str:
    """A header as compared: letters and digits only, lower case, accents removed."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(character for character in decomposed if character.isalnum())


_KNOWN = {_folded(name): key for key, names in HEADERS.items() for name in names.values()}


def header_fields(cells: list[Any]) -> dict[int, str]:
    """The field of each named column (column index -> field); blank headers are ignored (Excel writes
    empty columns after the last). An unknown, repeated or missing column refuses the file."""
    columns: dict[int, str] = {}
    for index, cell in enumerate(cells):
        name = "" if cell is None else str(cell).strip()
        if not name:
            continue
        key = _KNOWN.get(_folded(name))
        if key is None:
            raise TableError(N_("The column “%(name)s” is not one of the template's columns."), name=name[:60])
        if key in columns.values():
            raise TableError(N_("The column “%(name)s” appears twice."), name=name[:60])
        columns[index] = key
    missing = [key for key in FIELDS if key not in columns.values() and key not in OPTIONAL]
    if not columns:
        raise TableError(N_("The file is empty: the first row must hold the template's column names."))
    if missing:
        raise TableError(N_("The file has no column “%(name)s”."), name=HEADERS[missing[0]]["en"], field=missing[0])
    return columns


def _rows(raw: Iterator[tuple[list[Cell], dict[int, str]]], columns: dict[int, str], max_rows: int) -> Iterator[Line]:
    """Cells by field from raw rows (cells, problems by column); all-blank rows are skipped, and a file
    with more than ``max_rows`` rows is refused when the row after the last allowed one is reached."""
    count = 0
    for number, (cells, problems) in enumerate(raw, start=2):
        if not problems and all(cell == "" for cell in cells):
            continue
        count += 1
        if count > max_rows:
            raise TableError(N_("The file has more than %(max)d rows: split it into smaller files."), max=max_rows)
        by_field = {key: cells[index] if index < len(cells) else "" for index, key in columns.items()}
        found = {columns[index]: message for index, message in problems.items() if index in columns}
        yield Line(number, by_field, found)


# -- CSV -------------------------------------------------------------------------------------------------
def csv_encoding(stream: IO[bytes]) -> str:
    """``utf-8-sig``, ``utf-8`` or ``cp1252`` (see the module's documentation); reads the stream to its end
    in chunks and leaves it at the start."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(BOMS_REFUSED):
        raise TableError(N_("This file is saved as “Unicode text” (UTF-16): save it as “CSV UTF-8” or as a workbook."))
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        stream.seek(0)
    return "utf-8"


def separator(header_line: str) -> str:
    """``;`` or ``,``: whichever the header line holds more of (``;`` on a tie, as Belgian Excel writes)."""
    return "," if header_line.count(",") > header_line.count(";") else ";"


def _csv_raw(reader: Any) -> Iterator[tuple[list[Cell], dict[int, str]]]:
    try:
        for cells in reader:
            yield cells, {}
    except UnicodeDecodeError:
        raise TableError(
            N_("Some characters of this file cannot be read: save it as “CSV UTF-8” or as a workbook.")
        ) from None
    except csv.Error as error:
        raise TableError(N_("The file is not a readable CSV file near row %(row)d."), row=reader.line_num) from error


@contextmanager
def _csv_table(stream: IO[bytes], max_rows: int) -> Iterator[Table]:
    encoding = csv_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        try:
            first = text.readline()
        except UnicodeDecodeError:
            raise TableError(
                N_("Some characters of this file cannot be read: save it as “CSV UTF-8” or as a workbook.")
            ) from None
        reader = csv.reader(itertools.chain([first], text), delimiter=separator(first))
        header = next(reader, [])
        columns = header_fields(header)
        yield Table("csv", encoding, tuple(columns.values()), _rows(_csv_raw(reader), columns, max_rows))
    finally:
        text.detach()  # the caller owns the stream


# -- XLSX ------------------------------------------------------------------------------------------------
def xlsx_value(value: Any) -> Cell:
    """A cell's value as the validation reads it: text, or a date for a date cell; whole numbers without
    ``.0`` (Excel stores every number as a float: a personnel number 1234 comes back as 1234.0)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


FORMULA_WITHOUT_VALUE = N_(
    "This cell holds a formula without a value: open the file in Excel and save it, or type the value."
)
CELL_ERROR = N_("This cell holds a spreadsheet error (such as #N/A or #REF!): correct it in the file.")


def _xlsx_raw(values: Any, formulas: Any) -> Iterator[tuple[list[Cell], dict[int, str]]]:
    """Rows of the values' sheet with the formulas' sheet beside it (same file, parsed in parallel)."""
    for value_row, formula_row in zip(values, formulas, strict=False):
        cells: list[Cell] = []
        problems: dict[int, str] = {}
        for index, (cell, twin) in enumerate(itertools.zip_longest(value_row, formula_row)):
            value = getattr(cell, "value", None)
            if getattr(twin, "data_type", None) == "f" and value is None:
                problems[index] = FORMULA_WITHOUT_VALUE
            elif getattr(cell, "data_type", None) == "e":
                problems[index] = CELL_ERROR
            cells.append(xlsx_value(value))
        yield cells, problems


def _check_unpacked_size(stream: IO[bytes]) -> None:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise TableError(N_("This file is not a readable workbook (XLSX).")) from None
    finally:
        stream.seek(0)
    if unpacked > MAX_UNPACK_RATIO * max(size, CHUNK):
        raise TableError(N_("This file is not a readable workbook (XLSX)."))


def _open_workbook(stream: IO[bytes], data_only: bool) -> Any:
    stream.seek(0)
    try:
        return openpyxl.load_workbook(stream, read_only=True, data_only=data_only)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise TableError(N_("This file is not a readable workbook (XLSX).")) from None


def _first_sheet(book: Any) -> Any:
    return book.active if book.active is not None else book.worksheets[0]


@contextmanager
def _xlsx_table(stream: IO[bytes], max_rows: int) -> Iterator[Table]:
    _check_unpacked_size(stream)
    # Two readers of one file: each zip member read seeks to its own position first, so they may interleave.
    values_book = _open_workbook(stream, data_only=True)
    formulas_book = _open_workbook(stream, data_only=False)
    try:
        values = _first_sheet(values_book).iter_rows()
        formulas = _first_sheet(formulas_book).iter_rows()
        raw = _xlsx_raw(values, formulas)
        header, _problems = next(raw, ([], {}))
        columns = header_fields(header)
        yield Table("xlsx", None, tuple(columns.values()), _rows(raw, columns, max_rows))
    finally:
        values_book.close()
        formulas_book.close()


@contextmanager
def open_table(stream: IO[bytes], max_rows: int) -> Iterator[Table]:
    """The file in ``stream`` (seekable, binary) as a :class:`Table`, its format told by its first bytes,
    never by its name. Iterate ``table.lines`` inside the ``with``; a :class:`TableError` may come from the
    ``with`` itself (the header) or from the iteration (a row beyond ``max_rows``, unreadable bytes)."""
    stream.seek(0)
    magic = stream.read(4)
    stream.seek(0)
    if not magic:
        raise TableError(N_("The file is empty: the first row must hold the template's column names."))
    if magic.startswith(XLS_MAGIC):
        raise TableError(N_("This is an old Excel file (.xls): save it as a workbook (.xlsx) or as CSV."))
    opener = _xlsx_table if magic.startswith(XLSX_MAGIC) else _csv_table
    with opener(stream, max_rows) as table:
        yield table


def estimate_rows(stream: IO[bytes]) -> int:
    """About how many rows the file holds, for a progress bar before it is read: a CSV's line ends, an
    XLSX sheet's declared dimension (0 when the file does not say)."""
    stream.seek(0)
    magic = stream.read(4)
    stream.seek(0)
    if magic.startswith(XLSX_MAGIC):
        try:
            book = openpyxl.load_workbook(stream, read_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
            return 0
        try:
            return max(0, (_first_sheet(book).max_row or 1) - 1)
        finally:
            book.close()
            stream.seek(0)
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(CHUNK), b""))
    stream.seek(0)
    return max(0, lines - 1)


# -- the template ------------------------------------------------------------------------------------------
def template_headers(locale: str) -> list[str]:
    return [HEADERS[key].get(locale, HEADERS[key]["en"]) for key in FIELDS]


def template_csv(locale: str) -> bytes:
    """The empty template as Belgian Excel opens it at a double click: UTF-8 with a BOM, ``;``-separated."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(template_headers(locale))
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def template_xlsx(locale: str) -> bytes:
    """The empty template as a workbook: the header row, and the date columns formatted as dates."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(template_headers(locale))
    for index, (key, header) in enumerate(zip(FIELDS, template_headers(locale), strict=True), start=1):
        column = sheet.column_dimensions[openpyxl.utils.get_column_letter(index)]
        column.width = max(14, len(header) + 2)
        # Dates as dates; every other column as text, so leading zeros and long numbers stay as typed.
        column.number_format = "DD/MM/YYYY" if key in DATE_FIELDS else "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
