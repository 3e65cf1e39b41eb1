"""CSV files that a spreadsheet opens as data, never as formulas (OWASP "CSV Injection", CWE-1236).

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (also after a
leading tab or carriage return) as a formula. Belgian Excel (nl-BE, fr-BE) splits lines at ``;``, not at
``,``: a value ``Dupont;=HYPERLINK(...)`` written unquoted by a comma-separated writer becomes two cells
there, the second a formula. So every cell here is

- quoted (``QUOTE_ALL``): a quoted cell is one cell whatever separator the reader uses;
- cleaned: control and text-direction characters (what :mod:`screening.inputs` refuses today, but older
  rows may hold, e.g. ``Jan\\u202egnp.exe``, which would display as ``Janexe.png``) become U+FFFD, visibly;
- neutralised: a formula character at the start of the cell, or right after a ``;`` or ``,`` inside it
  (spaces between allowed), gets a ``'`` before it, which spreadsheets read as "this is text".
"""

from __future__ import annotations

import csv
import re
import unicodedata
from typing import Any

from screening.inputs import FORMAT_CONTROLS

#: What makes a spreadsheet cell a formula (full-width forms too: Excel reads them in some locales).
FORMULA_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20"
_AFTER_SEPARATOR = re.compile(rf"([;,]\s*)(?=[{re.escape(FORMULA_STARTS)}])")
REPLACEMENT = "\ufffd"


def _visible(character: str) -> str:
    if character in FORMAT_CONTROLS or unicodedata.category(character) == "Cc":
        return REPLACEMENT
    return character


def safe_cell(value: Any) -> str:
    """One cell's text, safe to open in a spreadsheet; numbers and dates pass unchanged."""
    text = "" if value is None else str(value)
    if not text.isprintable():
        text = "".join(_visible(character) for character in text)
    text = _AFTER_SEPARATOR.sub(r"\1'", text)
    if text and text[0] in FORMULA_STARTS:
        text = "'" + text
    return text


class SafeWriter:
    """``csv.writer`` that quotes every cell and passes each through :func:`safe_cell`. A file of figures
    with no text from users (the reports: keys and counts) may keep ``quoting=csv.QUOTE_MINIMAL``."""

    def __init__(self, out: Any, **options: Any) -> None:
        self._writer = csv.writer(out, **{"quoting": csv.QUOTE_ALL, **options})

    def writerow(self, row: list[Any]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])
