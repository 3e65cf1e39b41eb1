"""The page of the certificate: measures, colours, text wrapping and the drawing, top down and bottom up.

Static paragraphs are wrapped once per process (:func:`_wrapped` is cached), then reused by every document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from screening.certificates.document.data import CertificateData
from screening.certificates.document.qr import draw_qr
from screening.certificates.document.texts import (
    AUTHORITY,
    COUNTRY,
    DATE_PLACEHOLDER,
    ISSUED_ON,
    LABELS,
    NOT_APPLICABLE,
    NOTICE,
    OFFLINE_TEXT,
    POSITIVE,
    PRINTED_SIGNATURE_MARKER,
    SIGNATURE_LABEL,
    SIGNED,
    STATEMENT,
    SUBTITLE,
    TITLE,
    VERIFY_HEADING,
    VERIFY_TEXT,
)
from screening.fonts import BOLD, REGULAR

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


def _columns(english: bool) -> tuple[int, ...]:
    return (0, 1, 2) if english else (0, 1)


def _column_width(english: bool, gap: float = 14.0, width: float = CONTENT_WIDTH) -> float:
    count = len(_columns(english))
    return (width - gap * (count - 1)) / count


@cache
def _wrapped(texts: tuple[str, ...], font: str, size: float, width: float) -> tuple[tuple[str, ...], ...]:
    """Static paragraphs are wrapped once per layout, then reused by every document."""
    return tuple(tuple(_wrap(text, font, size, width)) for text in texts)


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


class CertificatePage:
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
        draw_qr(c, self.data.verify_url, qr_x, qr_y, qr_size)
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
