"""The fee statement as a PDF and as CSV: plain builders (no Flask), fed the texts in the reader's language.
Money is integer cents, turned into text through :func:`euro` (a ``Decimal``, never a float)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from screening import fonts
from screening.csv_guard import SafeWriter
from screening.fees.statement import Statement
from screening.formats import formatting_locale


def euro(cents: int, language: str) -> str:
    """``5000`` -> ``€ 50,00`` (nl), ``50,00 €`` (fr): exact, from a Decimal of the cents."""
    return format_currency(Decimal(cents).scaleb(-2), "EUR", locale=formatting_locale(language))


@dataclass(frozen=True)
class StatementTexts:
    """What the document says, already in the reader's language."""

    language: str
    title: str
    organisation: str
    period: str
    headings: tuple[str, str, str, str]  # advice type, fee, number, amount
    type_labels: dict[str, str]
    total: str
    empty: str
    note: str


def to_pdf(statement: Statement, texts: StatementTexts) -> bytes:
    """An A4 statement: organisation, month, one line per advice type and fee, the total."""
    regular, bold = fonts.faces()
    styles = getSampleStyleSheet()
    for name in ("Title", "Normal"):
        styles[name].fontName = bold if name == "Title" else regular
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer, pagesize=A4, title=texts.title, author="Port security screening",
        leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm, initialFontName=regular,
    )  # fmt: skip
    story: list = [
        Paragraph(texts.title, styles["Title"]),
        Paragraph(texts.organisation, styles["Normal"]),
        Paragraph(texts.period, styles["Normal"]),
        Spacer(1, 5 * mm),
    ]
    rows = [list(texts.headings)]
    for line in statement.lines:
        rows.append([
            texts.type_labels.get(line.advice_type, line.advice_type), euro(line.unit_cents, texts.language),
            str(line.count), euro(line.total_cents, texts.language),
        ])  # fmt: skip
    if not statement.lines:
        rows.append([texts.empty, "", "0", euro(0, texts.language)])
    rows.append([texts.total, "", str(statement.count), euro(statement.total_cents, texts.language)])
    table = Table(rows, colWidths=[70 * mm, 30 * mm, 25 * mm, 35 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), regular),
                ("FONTNAME", (0, 0), (-1, 0), bold),
                ("FONTNAME", (0, -1), (-1, -1), bold),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ]
        )  # fmt: skip
    )
    story += [table, Spacer(1, 5 * mm), Paragraph(texts.note, styles["Normal"])]
    with fonts.building():
        pdf.build(story)
    return buffer.getvalue()


def to_csv(statement: Statement, texts: StatementTexts) -> str:
    """One row per advice type and fee, then the total; amounts in cents (exact, for accounting systems)."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["organisation", "month", "advice_type", "unit_fee_cents", "count", "amount_cents"])
    month = statement.month.isoformat()[:7]
    for line in statement.lines:
        writer.writerow([texts.organisation, month, line.advice_type, line.unit_cents, line.count, line.total_cents])
    writer.writerow([texts.organisation, month, "total", "", statement.count, statement.total_cents])
    return out.getvalue()
