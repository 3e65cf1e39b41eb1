"""The clearance certificate: one A4 page, Dutch and French side by side, signed QR code.

A plain builder (data in, PDF bytes out, no Flask) so the HR view, the bulk ZIP and the tests share it.
Bulk export renders thousands of these, so the page is built for speed as much as for looks (about 7 ms,
against 36 ms for a one-line reportlab page with ``QrCodeWidget``; see docs/benchmarks-certificates.md):

* the DejaVu fonts are parsed once per process, not per document (reportlab still subsets them per
  document, which is what embedding requires);
* the QR code comes from reportlab's own encoder, module for module, but the mask is chosen by scoring
  integer rows instead of eight full symbols in Python lists, and it is drawn as one path of rectangles
  (one per horizontal run of dark modules) instead of ``QrCodeWidget``'s shape per module;
* the static bilingual text is wrapped once per process; streams skip ASCII85 encoding.

The verification token goes into the document three times: in the QR code (as the verify URL), in the
document's Keywords metadata, and as small printed text, so the offline check (``screening certificate
verify``) can recover it from the PDF file itself, even after a tool dropped the metadata.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import zip_longest
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Literal

from reportlab import rl_config
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from screening.certificates.signing import (
    CertificateClaims,
    CertificateError,
    CertificateKeys,
    TamperedToken,
    holder_initials,
    verification_code,
    verify_url,
)

__all__ = [
    "ADVICE_TYPES",
    "DEFAULT_AUTHORITY",
    "CertificateData",
    "EmbeddedVerification",
    "NotACertificate",
    "issue_certificate_data",
    "LayoutOverflow",
    "qr_matrix",
    "read_embedded_verification",
    "render_certificate",
]

AdviceType = Literal["positive", "positive_with_warning"]
#: Only positive advice gets a certificate. "With warning" prints as plain positive: the warning says
#: something about the grounds, which employers and gatekeepers must never learn from the certificate.
ADVICE_TYPES: frozenset[str] = frozenset({"positive", "positive_with_warning"})
DEFAULT_AUTHORITY = "Nationale Veiligheidsoverheid / Autorité nationale de Sécurité"

#: Where the DejaVu fonts live (Debian: fonts-dejavu-core). Overridable for other systems.
FONT_DIR_ENV = "SCREENING_FONT_DIR"
_DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
REGULAR, BOLD = "ScreeningSans", "ScreeningSans-Bold"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 42.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

NAVY = (0.086, 0.180, 0.310)
INK = (0.10, 0.10, 0.12)
GREY = (0.38, 0.40, 0.44)
RULE = (0.78, 0.80, 0.83)
TINT = (0.945, 0.953, 0.965)
GREEN = (0.04, 0.40, 0.22)
RED = (0.70, 0.11, 0.13)
BELGIAN_TRICOLOUR = ((0.0, 0.0, 0.0), (0.992, 0.855, 0.141), (0.937, 0.200, 0.251))


class NotACertificate(CertificateError):
    """The file is not a certificate produced by this application (no verification token in it)."""


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on one certificate; nothing about grounds, ever."""

    holder_name: str
    date_of_birth: date
    masked_national_number: str | None
    advice_type: AdviceType
    valid_from: date
    valid_until: date
    clearance_reference: str
    issuing_authority: str
    issue_date: date
    verification_code: str
    verify_url: str
    token: str
    function_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.advice_type not in ADVICE_TYPES:
            # A certificate for a negative advice would be a forgery we made ourselves.
            raise ValueError(f"no certificate for advice type {self.advice_type!r}")
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")


def issue_certificate_data(
    keys: CertificateKeys,
    *,
    base_url: str,
    holder_name: str,
    date_of_birth: date,
    masked_national_number: str | None,
    advice_type: AdviceType,
    valid_from: date,
    valid_until: date,
    clearance_reference: str,
    issue_date: date,
    function_names: Sequence[str] = (),
    issuing_authority: str = DEFAULT_AUTHORITY,
    initials: str | None = None,
) -> CertificateData:
    """Sign the claims and return the data to render: the one place that ties the token to the page.

    ``initials`` defaults to the initials of ``holder_name`` (the same rule as ``Person.initials``), which
    the public verification page also shows.
    """
    claims = CertificateClaims(
        reference=clearance_reference,
        holder_initials=initials if initials is not None else holder_initials(holder_name),
        valid_from=valid_from,
        valid_until=valid_until,
        issue_date=issue_date,
    )
    token = keys.sign(claims)
    return CertificateData(
        holder_name=holder_name,
        date_of_birth=date_of_birth,
        masked_national_number=masked_national_number,
        advice_type=advice_type,
        valid_from=valid_from,
        valid_until=valid_until,
        clearance_reference=clearance_reference,
        issuing_authority=issuing_authority,
        issue_date=issue_date,
        verification_code=verification_code(token),
        verify_url=verify_url(base_url, token),
        token=token,
        function_names=tuple(function_names),
    )


# --- fonts ---------------------------------------------------------------------------------------------


@cache
def _register_fonts() -> None:
    """Parse the TTF files once per process; every later document reuses the parsed faces."""
    font_dir = Path(os.environ.get(FONT_DIR_ENV) or _DEFAULT_FONT_DIR)
    for name, filename in ((REGULAR, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
        path = font_dir / filename
        if not path.is_file():
            raise RuntimeError(
                f"certificate font {path} is missing: install fonts-dejavu-core or set ${FONT_DIR_ENV}",
            )
        # asciiReadable=False: subset only the characters a document uses, not all of ASCII.
        pdfmetrics.registerFont(TTFont(name, str(path), asciiReadable=False))


def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _split_word(word: str, font: str, size: float, width: float) -> list[str]:
    """A word wider than the column (a URL) is cut, after a "/", "." or "-" when there is one."""
    pieces: list[str] = []
    piece = ""
    for char in word:
        if piece and _width(piece + char, font, size) > width:
            cut = max(piece.rfind("/"), piece.rfind("."), piece.rfind("-")) + 1
            if not 0 < cut < len(piece):
                cut = len(piece)
            pieces.append(piece[:cut])
            piece = piece[cut:]
        piece += char
    return [*pieces, piece] if piece else pieces


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if _width(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        if _width(word, font, size) <= width:
            line = word
        else:
            *full, line = _split_word(word, font, size, width)
            lines.extend(full)
    if line:
        lines.append(line)
    return lines


# --- static text ---------------------------------------------------------------------------------------
# One tuple per language: (nl, fr, en). English is printed only when asked for.

TITLE = ("Veiligheidsadvies", "Avis de sécurité", "Security advice")
SUBTITLE = (
    "Attest van een positief veiligheidsadvies voor een kritieke functie in de haven",
    "Attestation d'un avis de sécurité positif pour une fonction critique portuaire",
    "Certificate of a positive security advice for a critical port function",
)
STATEMENT = (
    "De Nationale Veiligheidsoverheid bevestigt dat zij over de hieronder vermelde persoon een positief "
    "veiligheidsadvies heeft uitgebracht, geldig voor de vermelde periode, krachtens het Belgisch "
    "Scheepvaartwetboek, art. 2.5.2.97 en 2.5.2.98.",
    "L'Autorité nationale de Sécurité confirme avoir rendu un avis de sécurité positif concernant la "
    "personne mentionnée ci-dessous, valable pour la période indiquée, en vertu du Code belge de la "
    "Navigation, art. 2.5.2.97 et 2.5.2.98.",
    "The National Security Authority confirms that it has issued a positive security advice on the person "
    "named below, valid for the period stated, under the Belgian Shipping Code, art. 2.5.2.97 and 2.5.2.98.",
)
LABELS = {
    "holder": ("Naam en voornamen", "Nom et prénoms", "Name"),
    "birth": ("Geboortedatum", "Date de naissance", "Date of birth"),
    "national_number": ("Rijksregisternummer", "Numéro de registre national", "National register number"),
    "advice": ("Advies", "Avis", "Advice"),
    "functions": ("Kritieke functie(s)", "Fonction(s) critique(s)", "Critical function(s)"),
    "valid_from": ("Geldig vanaf", "Valable à partir du", "Valid from"),
    "valid_until": ("Geldig tot en met", "Valable jusqu'au", "Valid until"),
    "reference": ("Referentie", "Référence", "Reference"),
    "authority": ("Uitgereikt door", "Délivré par", "Issued by"),
    "issued": ("Datum van uitgifte", "Date de délivrance", "Date of issue"),
}
POSITIVE = ("POSITIEF", "POSITIF", "POSITIVE")
NOT_APPLICABLE = "—"
AUTHORITY = ("Nationale Veiligheidsoverheid", "Autorité nationale de Sécurité", "National Security Authority")
COUNTRY = "België · Belgique"
#: Digits are equally wide in DejaVu, so text wrapped around this placeholder stays wrapped with a date.
DATE_PLACEHOLDER = "00.00.0000"
SIGNED = (
    f"Elektronisch ondertekend door de Nationale Veiligheidsoverheid op {DATE_PLACEHOLDER}. "
    "Dit attest is geldig zonder handgeschreven handtekening.",
    f"Signé électroniquement par l'Autorité nationale de Sécurité le {DATE_PLACEHOLDER}. "
    "Cette attestation est valable sans signature manuscrite.",
    f"Electronically signed by the National Security Authority on {DATE_PLACEHOLDER}. "
    "This certificate is valid without a handwritten signature.",
)
VERIFY_HEADING = (
    "Echtheid en actuele status",
    "Authenticité et statut actuel",
    "Authenticity and current status",
)
VERIFY_TEXT = (
    "Scan de QR-code, of ga naar {site} en voer de verificatiecode onder de QR-code in.",
    "Scannez le code QR, ou allez sur {site} et saisissez le code de vérification sous le code QR.",
    "Scan the QR code, or go to {site} and enter the verification code printed below it.",
)
OFFLINE_TEXT = (
    "Offline: de handtekening (Ed25519) in de QR-code is controleerbaar met de publieke sleutel van de NVO.",
    "Hors ligne : la signature numérique (Ed25519) du code QR se vérifie avec la clé publique de l'ANS.",
    "Offline: the digital signature (Ed25519) in the QR code can be checked with the Authority's public key.",
)
NOTICE = (
    "Dit attest geeft het advies weer op de datum van uitgifte. Een veiligheidsadvies kan nadien worden "
    "ingetrokken: controleer de actuele status altijd op de verificatiepagina.",
    "Cette attestation reflète l'avis à sa date de délivrance. Un avis de sécurité peut être retiré par la "
    "suite : vérifiez toujours le statut actuel sur la page de vérification.",
    "This certificate reflects the advice on its date of issue. A security advice can be revoked later: "
    "always check the current status on the verification page.",
)
ISSUED_ON = ("Uitgereikt op", "Délivré le", "Issued on")
SIGNATURE_LABEL = "Ed25519"
#: Printed before the token so the offline check can find it in the page text.
PRINTED_SIGNATURE_MARKER = "Token:"


def _columns(english: bool) -> tuple[int, ...]:
    return (0, 1, 2) if english else (0, 1)


def _column_width(english: bool, gap: float = 14.0, width: float = CONTENT_WIDTH) -> float:
    count = len(_columns(english))
    return (width - gap * (count - 1)) / count


@cache
def _wrapped(texts: tuple[str, ...], font: str, size: float, width: float) -> tuple[tuple[str, ...], ...]:
    """Static paragraphs are wrapped once per layout, then reused by every document."""
    return tuple(tuple(_wrap(text, font, size, width)) for text in texts)


# --- QR code -------------------------------------------------------------------------------------------


_QR_LEVEL = qrencoder.QRErrorCorrectLevel.M
_DARK_RUN = re.compile("1+")


@dataclass(frozen=True)
class _SymbolPlan:
    """Everything about a QR symbol of one version that does not depend on its data, worked out once.

    ``picks`` lays the data bit string out in row-major order in one C-level call (a data module takes
    its bit, a function module one of two constant characters appended to the bits). The mask and
    format/version-information bits are per-row integers to XOR in.
    """

    count: int
    data_modules: int
    picks: Callable[[str], tuple[str, ...]]
    mask_rows: tuple[tuple[int, ...], ...]
    mask_cols: tuple[tuple[int, ...], ...]
    format_rows: tuple[tuple[int, ...], ...]


def _lines_as_ints(modules: Sequence[Sequence[bool]]) -> tuple[int, ...]:
    return tuple(int("".join("1" if dark else "0" for dark in line), 2) for line in modules)


@cache
def _plan(version: int) -> _SymbolPlan:
    probe = qrencoder.QRCode(version, _QR_LEVEL)
    probe.addData("0")
    probe.makeImpl(True, 0)
    count = probe.moduleCount
    positions = probe.dataPosIterator()  # (col, row) in the order data bits are placed
    index = {(row, col): k for k, (col, row) in enumerate(positions)}
    light, dark = len(positions), len(positions) + 1
    test_symbol = [list(row) for row in probe.modules]
    cells = [(row, col) for row in range(count) for col in range(count)]
    picks = [index.get(cell, dark if test_symbol[cell[0]][cell[1]] else light) for cell in cells]
    mask_rows, mask_cols, format_rows = [], [], []
    for mask in range(8):
        flips = qrencoder.QRUtil.getMask(mask)
        grid = [[(row, col) in index and flips(row, col) for col in range(count)] for row in range(count)]
        mask_rows.append(_lines_as_ints(grid))
        mask_cols.append(_lines_as_ints(list(zip(*grid, strict=True))))
        # Format (and version) information differs between the scored "test" symbol and the final one.
        probe.makeImpl(True, mask)
        scored = _lines_as_ints(probe.modules)
        probe.makeImpl(False, mask)
        final = _lines_as_ints(probe.modules)
        format_rows.append(tuple(a ^ b for a, b in zip(scored, final, strict=True)))
    return _SymbolPlan(
        count=count,
        data_modules=len(positions),
        picks=itemgetter(*picks),
        mask_rows=tuple(mask_rows),
        mask_cols=tuple(mask_cols),
        format_rows=tuple(format_rows),
    )


def _runs_penalty(line: int, full: int) -> int:
    # Rule 1: a run of L >= 5 same-coloured modules costs L - 2, i.e. (L - 4) window hits + 2 per run.
    score = 0
    for bits in (line, ~line & full):
        hits = bits & bits >> 1 & bits >> 2 & bits >> 3 & bits >> 4
        if hits:
            score += hits.bit_count() + 2 * (hits & ~(hits << 1)).bit_count()
    return score


#: Rule 3 as reportlab scores it: dark-light-dark-dark-dark-light-dark then four light, left to right.
_FINDER_LIKE = 0b10111010000


def _finder_penalty(line: int, count: int) -> int:
    inverse = ~line
    hits = (1 << (count - 10)) - 2  # window start positions reportlab examines
    for bit in range(11):
        hits &= (line if _FINDER_LIKE >> bit & 1 else inverse) >> bit
        if not hits:
            return 0
    return 40 * hits.bit_count()


def _penalty(rows: list[int], cols: list[int], count: int) -> int:
    """The mask penalty of reportlab's ``QRUtil.getLostPoint``, computed on integer rows and columns."""
    full = (1 << count) - 1
    score = 0
    for line in rows:
        score += _runs_penalty(line, full) + _finder_penalty(line, count)
    for line in cols:
        # reportlab compares column tuples with a list, so its rule 3 never matches a column: nor do we.
        score += _runs_penalty(line, full)
    for upper, lower in zip(rows, rows[1:], strict=False):
        dark = upper & lower
        light = ~(upper | lower) & full
        score += 3 * ((dark & dark >> 1).bit_count() + (light & light >> 1).bit_count())
    dark_count = sum(line.bit_count() for line in rows)
    return score + 10 * (abs(100 * dark_count // count**2 - 50) // 5)


@cache
def _generator_products(degree: int) -> tuple[tuple[int, ...], ...]:
    """Reed-Solomon generator of this degree multiplied by every byte value (GF(256)), for fast remainders."""
    generator = qrencoder.QRUtil.getErrorCorrectPolynomial(degree).num[1:]
    exp, log = qrencoder.EXP_TABLE, qrencoder.LOG_TABLE
    products: list[tuple[int, ...]] = [(0,) * degree]
    for factor in range(1, 256):
        products.append(tuple(exp[(log[factor] + log[g]) % 255] if g else 0 for g in generator))
    return tuple(products)


class _BitBuffer:
    """Drop-in for ``qrencoder.QRBitBuffer`` (``put``, ``putBit``, ``getLengthInBits``) on one integer,
    instead of a Python call per bit."""

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, number: int, length: int) -> None:
        self.value = (self.value << length) | (number & ((1 << length) - 1))
        self.length += length

    def putBit(self, bit: bool) -> None:
        self.put(1 if bit else 0, 1)

    def getLengthInBits(self) -> int:
        return self.length


def _codewords(version: int, data_list: list[qrencoder.QR]) -> list[int]:
    """Data and error-correction codewords, interleaved: what ``QRCode.createData`` returns, faster."""
    blocks = qrencoder.QRRSBlock.getRSBlocks(version, _QR_LEVEL)
    capacity = 8 * sum(block.dataCount for block in blocks)
    buffer = _BitBuffer()
    for data in data_list:
        data.write(buffer, version)
    if buffer.length > capacity:
        raise ValueError("too much data for a QR code")
    buffer.put(0, min(4, capacity - buffer.length))  # terminator, as far as it fits
    buffer.put(0, -buffer.length % 8)
    codewords = list(buffer.value.to_bytes(buffer.length // 8, "big"))
    padding = (qrencoder.QRCode.PAD0, qrencoder.QRCode.PAD1)
    codewords += [padding[i % 2] for i in range(capacity // 8 - len(codewords))]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        data = codewords[offset : offset + block.dataCount]
        offset += block.dataCount
        products = _generator_products(block.totalCount - block.dataCount)
        remainder = [0] * (block.totalCount - block.dataCount)
        for value in data:
            factor = value ^ remainder[0]
            remainder = [a ^ b for a, b in zip(remainder[1:] + [0], products[factor], strict=True)]
        data_blocks.append(data)
        ec_blocks.append(remainder)
    return [
        value
        for group in (data_blocks, ec_blocks)
        for column in zip_longest(*group)
        for value in column
        if value is not None
    ]


def qr_rows(text: str) -> tuple[int, list[int]]:
    """A QR code (level M) for ``text``: its size and each row as an int (first module = highest bit).

    Module for module what reportlab's ``QRCode.make()`` produces (the tests compare them), about six
    times faster: reportlab picks the mask by building and scoring the whole symbol eight times in
    Python lists, which is most of the cost of ``QrCodeWidget``; here the data is laid out once, in C,
    and each mask is scored with integer operations on rows and columns.
    """
    code = qrencoder.QRCode(None, _QR_LEVEL)
    code.addData(text)
    version = code.calculate_version()
    plan = _plan(version)
    codewords = _codewords(version, code.dataList)
    bits = format(int.from_bytes(bytes(codewords), "big"), f"0{8 * len(codewords)}b")
    count = plan.count
    flat = "".join(plan.picks(bits.ljust(plan.data_modules, "0") + "01"))
    rows = [int(flat[start : start + count], 2) for start in range(0, count * count, count)]
    cols = [int(flat[col::count], 2) for col in range(count)]
    scores = [
        _penalty(
            [a ^ b for a, b in zip(rows, mask_rows, strict=True)],
            [a ^ b for a, b in zip(cols, mask_cols, strict=True)],
            count,
        )
        for mask_rows, mask_cols in zip(plan.mask_rows, plan.mask_cols, strict=True)
    ]
    best = scores.index(min(scores))  # the first of equals, as reportlab does
    flips = zip(plan.mask_rows[best], plan.format_rows[best], strict=True)
    return count, [row ^ mask ^ info for row, (mask, info) in zip(rows, flips, strict=True)]


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of :func:`qr_rows` as reportlab's ``QRCode.modules`` holds them (rows of booleans)."""
    count, rows = qr_rows(text)
    return [[char == "1" for char in format(row, f"0{count}b")] for row in rows]


def qr_path_operators(count: int, rows: Sequence[int]) -> str:
    """PDF path operators in module units: one rectangle per horizontal run of dark modules, row 0 on top."""
    parts: list[str] = []
    for index, row in enumerate(rows):
        y = count - 1 - index
        runs = _DARK_RUN.finditer(format(row, f"0{count}b"))
        parts.extend(f"{run.start()} {y} {run.end() - run.start()} 1 re" for run in runs)
    return "\n".join(parts)


def _draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    count, rows = qr_rows(text)
    quiet = 4  # the quiet zone the standard asks for, kept white
    scale = size / (count + 2 * quiet)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.translate(x + quiet * scale, y + quiet * scale)
    canvas.scale(scale, scale)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral(qr_path_operators(count, rows) + "\nf")
    canvas.restoreState()


# --- page ----------------------------------------------------------------------------------------------


def _date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def _site(url: str) -> str:
    """The verification page as a reader would type it: scheme and token dropped."""
    base = url.split("/verify/", 1)[0]
    return re.sub(r"^https?://", "", base) + "/verify"


def _fit_lines(text: str, width: float, font: str = BOLD, size: float = 10.5) -> tuple[list[str], float]:
    """A value on one line at full size, else smaller, else wrapped: a certificate never cuts a name."""
    if _width(text, font, size) <= width:
        return [text], size
    smaller = size - 1.5
    if _width(text, font, smaller) <= width:
        return [text], smaller
    return _wrap(text, font, smaller, width), smaller


@dataclass(frozen=True)
class _Row:
    key: str
    labels: tuple[tuple[str, ...], ...]
    lines: tuple[str, ...]
    font: str
    size: float
    content: float


#: Height kept below the fields for the signature statement and seal.
SIGNATURE_HEIGHT = 78.0


class LayoutOverflow(RuntimeError):
    """The content does not fit on one page (a name or function list far beyond any real one)."""


class _Page:
    """Draws one certificate. Top-down: header, title, statement, fields, signature; bottom-up: footer,
    notice, verification box. The two meet in the middle, and must not cross."""

    def __init__(self, canvas: Canvas, data: CertificateData, english: bool) -> None:
        self.c, self.data, self.english = canvas, data, english
        self.langs = _columns(english)
        self.column_width = _column_width(english)
        self.label_width = 100.0 if english else 118.0

    def column_x(
        self,
        column: int,
        left: float = MARGIN,
        width: float | None = None,
        gap: float = 14.0,
    ) -> float:
        return left + column * ((width or self.column_width) + gap)

    def lines(self, x: float, y: float, lines: Iterable[str], leading: float) -> None:
        """Lines in the current font and colour: one text object for all of them (cheaper than one each)."""
        text = self.c.beginText(x, y)
        text.setLeading(leading)
        for line in lines:
            text.textLine(line)
        self.c.drawText(text)

    # top down

    def header(self) -> float:
        c = self.c
        band, top = 78.0, PAGE_HEIGHT
        c.setFillColorRGB(*NAVY)
        c.rect(0, top - band, PAGE_WIDTH, band, stroke=0, fill=1)
        stripe = PAGE_WIDTH / 3  # a thin tricolour under the band: sober, and unmistakably Belgian
        for index, colour in enumerate(BELGIAN_TRICOLOUR):
            c.setFillColorRGB(*colour)
            c.rect(index * stripe, top - band - 3.0, stripe, 3.0, stroke=0, fill=1)
        c.setFillColorRGB(1, 1, 1)
        c.setFont(BOLD, 14.5)
        c.drawString(MARGIN, top - 32, AUTHORITY[0])
        c.drawString(MARGIN, top - 50, AUTHORITY[1])
        if self.english:
            c.setFont(REGULAR, 9.5)
            c.drawString(MARGIN, top - 65, AUTHORITY[2])
        c.setFont(REGULAR, 8.5)
        c.drawRightString(PAGE_WIDTH - MARGIN, top - 30, COUNTRY)
        c.setFont(BOLD, 10.5)
        c.drawRightString(PAGE_WIDTH - MARGIN, top - 50, self.data.clearance_reference)
        return top - band - 3.0

    def title(self, top: float) -> float:
        c = self.c
        width = self.column_width
        y = top - 40
        subtitles = _wrapped(tuple(SUBTITLE[i] for i in self.langs), REGULAR, 9.0, width - 10)
        for column, lang in enumerate(self.langs):
            centre = self.column_x(column) + width / 2
            c.setFillColorRGB(*NAVY)
            c.setFont(BOLD, 16.0 if self.english else 21.0)
            c.drawCentredString(centre, y, TITLE[lang])
            c.setFillColorRGB(*GREY)
            c.setFont(REGULAR, 9.0)
            for index, line in enumerate(subtitles[column]):
                c.drawCentredString(centre, y - 17 - index * 11, line)
        bottom = y - 17 - (max(map(len, subtitles)) - 1) * 11 - 16
        c.setStrokeColorRGB(*RULE)
        c.setLineWidth(0.6)
        for column in range(1, len(self.langs)):
            x = self.column_x(column) - 7.0
            c.line(x, y + 18, x, bottom + 6)
        return bottom

    def statement(self, top: float) -> float:
        size = 8.0 if self.english else 8.6
        leading = size * 1.32
        wrapped = _wrapped(tuple(STATEMENT[i] for i in self.langs), REGULAR, size, self.column_width)
        self.c.setFillColorRGB(*INK)
        self.c.setFont(REGULAR, size)
        for column, lines in enumerate(wrapped):
            self.lines(self.column_x(column), top - size, lines, leading)
        return top - size - (max(map(len, wrapped)) - 1) * leading - 5

    def rows(self) -> list[tuple[str, str, bool]]:
        data = self.data
        rows = [
            ("holder", data.holder_name, True),
            ("birth", _date(data.date_of_birth), False),
            ("national_number", data.masked_national_number or NOT_APPLICABLE, False),
            ("advice", " · ".join(POSITIVE[i] for i in self.langs), True),
        ]
        if data.function_names:
            rows.append(("functions", "; ".join(data.function_names), False))
        rows += [
            ("valid_from", _date(data.valid_from), True),
            ("valid_until", _date(data.valid_until), True),
            ("reference", data.clearance_reference, False),
            ("authority", data.issuing_authority, False),
            ("issued", _date(data.issue_date), False),
        ]
        return rows

    def field_layout(self, value_size: float, width: float) -> list[_Row]:
        label_width = self.label_width
        layout = []
        for key, value, strong in self.rows():
            labels = _wrapped(tuple(LABELS[key][i] for i in self.langs), REGULAR, 8.0, label_width)
            font = BOLD if strong else REGULAR
            lines, size = _fit_lines(value, width, font, value_size)
            content = max(max(map(len, labels)) * 10.0, len(lines) * (size + 2.5))
            layout.append(_Row(key, labels, tuple(lines), font, size, content))
        return layout

    def fields(self, top: float, floor: float) -> tuple[float, bool]:
        """The table of fields, as airy as the space allows: long names or many functions tighten the rows,
        then the type, then give up the signature seal, before the page gives up (:class:`LayoutOverflow`).
        Returns the bottom of the table and whether the signature block fits below it."""
        c = self.c
        label_width, label_gap = self.label_width, 8.0
        value_x = MARGIN + len(self.langs) * (label_width + label_gap) + 4
        value_width = PAGE_WIDTH - MARGIN - value_x - 6
        steps = ((10.5, True, 4.0), (9.0, True, 4.0), (9.0, False, 4.0), (8.0, False, 2.0))
        for value_size, with_signature, least_padding in steps:
            layout = self.field_layout(value_size, value_width)
            content = sum(row.content for row in layout)
            bottom = floor + (SIGNATURE_HEIGHT if with_signature else 0.0)
            padding = min(11.0, (top - bottom - content) / len(layout))
            if padding >= least_padding:
                break
        else:
            reference = self.data.clearance_reference
            raise LayoutOverflow(f"certificate {reference}: the fields do not fit on one page")
        y = top
        c.setStrokeColorRGB(*RULE)
        c.setLineWidth(0.5)
        c.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)
        baseline = 3.5 + padding / 2 + 6.0
        for row in layout:
            height = row.content + padding
            if row.key == "advice":
                c.setFillColorRGB(*TINT)
                c.rect(MARGIN, y - height, CONTENT_WIDTH, height, stroke=0, fill=1)
            c.setFillColorRGB(*GREY)
            c.setFont(REGULAR, 8.0)
            for column, label_lines in enumerate(row.labels):
                self.lines(MARGIN + 4 + column * (label_width + label_gap), y - baseline, label_lines, 10.0)
            c.setFillColorRGB(*(GREEN if row.key == "advice" else INK))
            c.setFont(row.font, row.size)
            self.lines(value_x, y - baseline - 0.5, row.lines, row.size + 2.5)
            y -= height
            c.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)
        return y, with_signature

    def signature(self, top: float) -> float:
        """The electronic signature statement and a seal: what a reader expects where an official signs."""
        c = self.c
        radius = 29.0
        cx, cy = PAGE_WIDTH - MARGIN - radius - 4, top - radius - 14
        c.setStrokeColorRGB(*NAVY)
        c.setLineWidth(1.3)
        c.circle(cx, cy, radius, stroke=1, fill=0)
        c.setLineWidth(0.5)
        c.circle(cx, cy, radius - 4, stroke=1, fill=0)
        c.setFillColorRGB(*NAVY)
        c.setFont(BOLD, 9.5)
        c.drawCentredString(cx, cy + 3, "NVO")
        c.drawCentredString(cx, cy - 9, "ANS")
        width = _column_width(self.english, width=cx - radius - 16 - MARGIN)
        size = 8.0
        wrapped = _wrapped(tuple(SIGNED[i] for i in self.langs), REGULAR, size, width)
        issued = _date(self.data.issue_date)
        c.setFillColorRGB(*INK)
        c.setFont(REGULAR, size)
        for column, lines in enumerate(wrapped):
            x = self.column_x(column, width=width)
            self.lines(x, top - 22, (line.replace(DATE_PLACEHOLDER, issued) for line in lines), size * 1.35)
        return cy - radius

    # bottom up

    def footer(self) -> float:
        c = self.c
        c.setFillColorRGB(*GREY)
        token_line = f"{SIGNATURE_LABEL} {PRINTED_SIGNATURE_MARKER} {self.data.token}"
        # One line whatever the token's length, so the offline check can read it back from the text.
        c.setFont(REGULAR, min(5.2, 5.2 * CONTENT_WIDTH / _width(token_line, REGULAR, 5.2)))
        c.drawString(MARGIN, 28, token_line)
        c.setStrokeColorRGB(*RULE)
        c.setLineWidth(0.5)
        c.line(MARGIN, 40, PAGE_WIDTH - MARGIN, 40)
        c.setFont(REGULAR, 7.0)
        issued = " / ".join(ISSUED_ON[i] for i in self.langs)
        c.drawString(MARGIN, 46, f"{self.data.clearance_reference} · {issued} {_date(self.data.issue_date)}")
        c.drawRightString(PAGE_WIDTH - MARGIN, 46, "1 / 1")
        return 58.0

    def notice(self, bottom: float) -> float:
        c = self.c
        size = 7.6
        leading = size * 1.3
        width = _column_width(self.english, width=CONTENT_WIDTH - 10)
        wrapped = _wrapped(tuple(NOTICE[i] for i in self.langs), BOLD, size, width)
        height = max(map(len, wrapped)) * leading + 6
        top = bottom + height
        c.setStrokeColorRGB(*RED)
        c.setLineWidth(1.5)
        c.line(MARGIN, top, MARGIN, bottom)
        c.setFillColorRGB(*INK)
        c.setFont(BOLD, size)
        for column, lines in enumerate(wrapped):
            self.lines(self.column_x(column, left=MARGIN + 10, width=width), top - size, lines, leading)
        return top

    def verification(self, bottom: float) -> float:
        """QR code, the code under it, and how to check: grows upwards when a long site name wraps."""
        c = self.c
        qr_size = 112.0
        qr_x = MARGIN + 10
        left = qr_x + qr_size + 18
        width = _column_width(self.english, gap=12.0, width=PAGE_WIDTH - MARGIN - 12 - left)
        site = _site(self.data.verify_url)
        columns = [
            (
                _wrapped((VERIFY_HEADING[lang],), BOLD, 9.0, width)[0],
                _wrapped((VERIFY_TEXT[lang].format(site=site),), REGULAR, 8.0, width)[0],
                _wrapped((OFFLINE_TEXT[lang],), REGULAR, 7.2, width)[0],
            )
            for lang in self.langs
        ]
        text_height = max(11.0 * len(h) + 7 + 10.5 * len(b) + 6 + 9.4 * len(o) for h, b, o in columns)
        height = max(qr_size + 30, text_height + 26)
        top = bottom + height
        c.setFillColorRGB(*TINT)
        c.setStrokeColorRGB(*RULE)
        c.setLineWidth(0.6)
        c.rect(MARGIN, bottom, CONTENT_WIDTH, height, stroke=1, fill=1)
        qr_y = top - 6 - qr_size
        _draw_qr(c, self.data.verify_url, qr_x, qr_y, qr_size)
        c.setFillColorRGB(*INK)
        c.setFont(BOLD, 11.5)
        c.drawCentredString(qr_x + qr_size / 2, qr_y - 15, self.data.verification_code)
        for column, (heading, body, offline) in enumerate(columns):
            x = self.column_x(column, left=left, width=width, gap=12.0)
            y = top - 20
            c.setFillColorRGB(*NAVY)
            c.setFont(BOLD, 9.0)
            self.lines(x, y, heading, 11.0)
            y -= 11.0 * len(heading) + 7
            c.setFillColorRGB(*INK)
            c.setFont(REGULAR, 8.0)
            self.lines(x, y, body, 10.5)
            y -= 10.5 * len(body) + 6
            c.setFillColorRGB(*GREY)
            c.setFont(REGULAR, 7.2)
            self.lines(x, y, offline, 9.4)
        return top

    def draw(self) -> None:
        y = self.header()
        y = self.title(y)
        y = self.statement(y - 4)
        floor = self.verification(self.notice(self.footer()) + 14)
        y, with_signature = self.fields(y - 8, floor + 10)
        if with_signature:
            self.signature(y)


# reportlab keeps per-document font state on the shared font objects and warns against building two
# documents with the same font at once: threads take turns (a page takes a few milliseconds).
_render_lock = threading.Lock()


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Skip reportlab's ASCII85 encoding of streams (rl_config.useA85): a 7-bit-safe PDF is a relic of
    e-mail gateways, and the pure-Python encoder costs almost half of the page. Restored afterwards."""
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous


def render_certificate(data: CertificateData, *, english: bool = False) -> bytes:
    """The certificate as PDF bytes (A4, one page, fonts embedded as subsets)."""
    _register_fonts()
    buffer = io.BytesIO()
    with _render_lock, _binary_streams():
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=REGULAR)
        canvas.setTitle(f"{TITLE[0]} / {TITLE[1]} {data.clearance_reference}")
        canvas.setAuthor(data.issuing_authority)
        canvas.setSubject(f"{SUBTITLE[0]} / {SUBTITLE[1]}")
        canvas.setKeywords(data.verify_url)
        canvas.setCreator("screening")
        _Page(canvas, data, english).draw()
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


# --- reading a certificate back (offline check) --------------------------------------------------------

_URL_TOKEN = re.compile(r"/verify/([A-Za-z0-9_-]{40,})\s*$")
_TEXT_TOKEN = re.compile(re.escape(PRINTED_SIGNATURE_MARKER) + r"\s*([A-Za-z0-9_-]{40,})")


@dataclass(frozen=True)
class EmbeddedVerification:
    token: str
    #: The verify URL from the metadata, when the file still has it.
    verify_url: str | None


def read_embedded_verification(pdf: bytes | BinaryIO) -> EmbeddedVerification:
    """The token a certificate carries: from the Keywords metadata and from the printed text.

    When both are there they must agree: a page of one certificate with another one's metadata is an
    altered file. Checks no signature (pass the token to ``verify_token``). Needs ``pypdf``.
    """
    from pypdf import PdfReader

    stream = io.BytesIO(pdf) if isinstance(pdf, bytes | bytearray) else pdf
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    # pypdf logs its repairs of odd files as warnings: the caller gets one clear answer instead.
    pypdf_log.setLevel(logging.ERROR)
    try:
        reader = PdfReader(stream)
        keywords = str((reader.metadata or {}).get("/Keywords") or "").strip()
        printed = _TEXT_TOKEN.search(reader.pages[0].extract_text() or "") if len(reader.pages) else None
    except Exception:  # pypdf raises many kinds of error for a file that is not a PDF
        raise NotACertificate("not a readable PDF file") from None
    finally:
        pypdf_log.setLevel(level)
    in_metadata = _URL_TOKEN.search(keywords)
    if in_metadata and printed and in_metadata.group(1) != printed.group(1):
        raise TamperedToken(
            "the token printed on the page differs from the one in the file's metadata: altered file",
        )
    if in_metadata:
        return EmbeddedVerification(token=in_metadata.group(1), verify_url=keywords)
    if printed:
        return EmbeddedVerification(token=printed.group(1), verify_url=None)
    raise NotACertificate("no verification token found: not a certificate issued by this application")
