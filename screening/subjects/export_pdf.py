"""The data subject export as a PDF: plain data in, bytes out, no Flask (like the reports' builder)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from screening import fonts

#: The record's lists, in the order they are printed (their titles come from the caller, translated).
SECTIONS = ("applications", "clearances", "staff_registers", "paper_consent_forms", "mail_sent", "audit_trail")
#: A moment as ``subject_record`` writes it (ISO 8601 with its UTC offset): shown through ``moment``.
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)")


class SubjectExportDocument:
    """Everything held about one person (the output of ``subject_record``), one table per item."""

    def __init__(
        self,
        record: dict[str, Any],
        *,
        title: str = "Personal data held by the screening service",
        generated_at: str = "",
        moment: Callable[[str], str] = str,
        titles: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self.record = record
        #: Section titles and field names in the reader's language; what is missing prints as its key, spaced.
        self.titles = titles or {}
        self.labels = labels or {}
        self.title = title
        self.generated_at = generated_at
        #: How a moment of the record is printed (the caller's local-time helper); the JSON keeps UTC.
        self.moment = moment

    def _shown(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, str) and _ISO_MOMENT.fullmatch(value):
            return self.moment(value)
        return str(value)

    def _styles(self) -> Any:
        regular, bold = fonts.faces()
        styles = getSampleStyleSheet()
        for name in ("Normal", "BodyText"):
            styles[name].fontName = regular
        for name in ("Title", "Heading2", "Heading3"):
            styles[name].fontName = bold
        return styles, regular

    def _named(self, key: str, names: Mapping[str, str]) -> str:
        return names.get(key) or key.replace("_", " ").capitalize()

    def _table(self, item: dict[str, Any], styles: Any, font: str) -> Table:
        rows = [
            [Paragraph(escape(self._named(str(key), self.labels)), styles["BodyText"]),
             Paragraph(escape(self._shown(value)).replace("\n", "<br/>"), styles["BodyText"])]
            for key, value in item.items()
        ]  # fmt: skip
        table = Table(rows, colWidths=[50 * mm, 120 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return table

    def build(self) -> bytes:
        styles, font = self._styles()
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer, pagesize=A4, title=self.title, leftMargin=20 * mm, rightMargin=20 * mm, initialFontName=font
        )
        story: list[Any] = [Paragraph(escape(self.title), styles["Title"])]
        if self.generated_at:
            story.append(Paragraph(escape(self.generated_at), styles["Normal"]))
        story += [Spacer(1, 4 * mm), Paragraph(escape(self._named("person", self.titles)), styles["Heading2"])]
        story.append(self._table(self.record["person"], styles, font))
        for key in SECTIONS:
            items = self.record.get(key) or []
            heading = escape(self._named(key, self.titles))
            story += [Spacer(1, 4 * mm), Paragraph(f"{heading} ({len(items)})", styles["Heading2"])]
            for item in items:
                story += [self._table(item, styles, font), Spacer(1, 2 * mm)]
        with fonts.building():
            document.build(story)
        return buffer.getvalue()
