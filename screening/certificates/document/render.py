"""The certificate as a PDF file: one A4 page, fonts embedded as subsets, the token in the metadata."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from screening import fonts
from screening.certificates.document.data import CertificateData
from screening.certificates.document.layout import CertificatePage
from screening.certificates.document.texts import SUBTITLE, TITLE
from screening.fonts import REGULAR


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
    fonts.faces()
    buffer = io.BytesIO()
    with fonts.building(), _binary_streams():
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=REGULAR)
        canvas.setTitle(f"{TITLE[0]} / {TITLE[1]} {data.clearance_reference}")
        canvas.setAuthor(data.issuing_authority)
        canvas.setSubject(f"{SUBTITLE[0]} / {SUBTITLE[1]}")
        canvas.setKeywords(data.verify_url)
        canvas.setCreator("screening")
        CertificatePage(canvas, data, english).draw()
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()
