"""Report documents: plain data in, PDF or CSV bytes out, no Flask (Indico's designer/pdf.py style).

A report is a title, a period, sections of (key, label, value) figures and one bar chart. Reports that
leave the authority are built with ``mask_below``: every count under it is shown as "<5", in the tables,
the CSV and the chart (whose bar is then drawn empty, so its height gives nothing away).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from screening import fonts
from screening.csv_guard import SafeWriter

Value = int | float | None


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: Value
    #: Only counts are masked; durations and rates are not counts of people.
    count: bool = True


@dataclass(frozen=True)
class Section:
    title: str
    rows: Sequence[Row]


@dataclass(frozen=True)
class Chart:
    title: str
    categories: Sequence[str]
    values: Sequence[int]


@dataclass(frozen=True)
class ReportDocument:
    title: str
    subtitle: str
    sections: Sequence[Section]
    chart: Chart | None = None
    mask_below: int | None = None
    notes: Sequence[str] = field(default_factory=tuple)


def shown(value: Value, *, count: bool = True, mask_below: int | None = None) -> str:
    """How a figure is printed: "<5" for a masked count, one decimal for durations and rates, "–" for none."""
    if value is None:
        return "–"
    if count and mask_below is not None and value < mask_below:
        return f"<{mask_below}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def to_csv(document: ReportDocument) -> str:
    """``metric,value`` lines: the period, then every figure by its key (masked like the PDF)."""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)  # keys and figures, no user text
    writer.writerow(["metric", "value"])
    for section in document.sections:
        for row in section.rows:
            value = shown(row.value, count=row.count, mask_below=document.mask_below)
            writer.writerow([row.key, "" if value == "–" else value])
    return out.getvalue()


def _chart(chart: Chart, mask_below: int | None, font: str) -> Drawing:
    width, height = 170 * mm, 62 * mm
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 10, chart.title, fontName=font, fontSize=10))
    masked = [mask_below is not None and v < mask_below for v in chart.values]
    bars = VerticalBarChart()
    bars.x, bars.y = 30, 35
    bars.width, bars.height = width - 40, height - 60
    bars.data = [[0 if hidden else value for value, hidden in zip(chart.values, masked, strict=True)]]
    bars.bars[0].fillColor = colors.HexColor("#1f4e79")
    bars.valueAxis.valueMin = 0
    bars.valueAxis.labels.fontName = font
    bars.valueAxis.labels.fontSize = 7
    bars.categoryAxis.categoryNames = list(chart.categories)
    bars.categoryAxis.labels.fontName = font
    bars.categoryAxis.labels.fontSize = 6
    bars.categoryAxis.labels.angle = 30
    bars.categoryAxis.labels.boxAnchor = "ne"
    drawing.add(bars)
    step = bars.width / max(1, len(chart.values))
    peak = max([v for v, hidden in zip(chart.values, masked, strict=True) if not hidden] or [1])
    for index, (value, hidden) in enumerate(zip(chart.values, masked, strict=True)):
        label = f"<{mask_below}" if hidden else str(value)
        top = 0 if hidden else value / peak * bars.height if peak else 0
        x = bars.x + step * (index + 0.5)
        drawing.add(
            String(x, bars.y + min(top, bars.height) + 2, label, fontName=font, fontSize=7, textAnchor="middle")
        )
    return drawing


def to_pdf(document: ReportDocument) -> bytes:
    """An A4 PDF: title, period, one table per section, the chart."""
    regular, bold = fonts.faces()
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading2", "Normal"):
        styles[name].fontName = bold if name != "Normal" else regular
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer, pagesize=A4, title=document.title, author="Port security screening",
        leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        initialFontName=regular,
    )  # fmt: skip
    story: list = [Paragraph(document.title, styles["Title"]), Paragraph(document.subtitle, styles["Normal"])]
    for section in document.sections:
        story += [Spacer(1, 3 * mm), Paragraph(section.title, styles["Heading2"])]
        data = [[row.label, shown(row.value, count=row.count, mask_below=document.mask_below)] for row in section.rows]
        table = Table(data, colWidths=[120 * mm, 40 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), regular),
                    ("FONTSIZE", (0, 0), (-1, -1), 9),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ]
            )
        )
        story.append(table)
    if document.chart is not None:
        story += [Spacer(1, 4 * mm), _chart(document.chart, document.mask_below, regular)]
    for note in document.notes:
        story += [Spacer(1, 4 * mm), Paragraph(note, styles["Normal"])]
    with fonts.building():
        pdf.build(story)
    return buffer.getvalue()
