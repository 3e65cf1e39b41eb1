"""The person's notice of an advice as a PDF: what was decided, what may be disclosed, and how to appeal.

A plain builder like the certificate's (Indico's ``designer/pdf.py``): :class:`NoticeDocument` holds texts
already written in the person's language, :func:`render_notice` returns the bytes. No Flask here; the
texts are put together by :mod:`screening.person_link.notice.views` in the person's language.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from screening import fonts


@dataclass(frozen=True)
class Section:
    """A heading and its paragraphs; each line of ``lines`` is one paragraph."""

    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class NoticeDocument:
    """Every text of the notice, in the person's language."""

    language: str
    title: str
    issuer: str
    #: (label, value) pairs at the top: addressee, reference, function, date.
    facts: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...] = field(default_factory=tuple)
    footer: str = ""


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """Text as given (names, grounds, addresses): escaped, its line breaks kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render_notice(notice: NoticeDocument) -> bytes:
    """The notice as PDF bytes (A4, fonts embedded as subsets, text extractable)."""
    regular, bold = fonts.faces()
    body = ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=14, spaceAfter=4)
    title = ParagraphStyle("title", fontName=bold, fontSize=16, leading=20, spaceAfter=6)
    heading = ParagraphStyle("heading", fontName=bold, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    small = ParagraphStyle("small", fontName=regular, fontSize=8.5, leading=11, spaceBefore=10)
    story: list[object] = [_paragraph(notice.issuer, body), _paragraph(notice.title, title)]
    for label, value in notice.facts:
        story.append(Paragraph(f"<font name='{bold}'>{escape(label)}:</font> {escape(value)}", body))
    for section in notice.sections:
        story.append(_paragraph(section.heading, heading))
        story.extend(_paragraph(line, body) for line in section.lines)
    if notice.footer:
        story += [Spacer(1, 4 * mm), _paragraph(notice.footer, small)]
    buffer = io.BytesIO()
    with fonts.building():
        document = SimpleDocTemplate(
            buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
            title=notice.title, author=notice.issuer, lang=notice.language, creator="screening",
        )  # fmt: skip
        document.build(story)  # type: ignore[arg-type]
    return buffer.getvalue()
