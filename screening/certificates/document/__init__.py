"""The clearance certificate: one A4 page, Dutch and French side by side, signed QR code.

A plain builder (data in, PDF bytes out, no Flask) so the HR view, the bulk ZIP and the tests share it.
Bulk export renders thousands of these, so the page is built for speed as much as for looks (about 7 ms,
against 36 ms for a one-line reportlab page with ``QrCodeWidget``; see docs/benchmarks-certificates.md):

* the DejaVu fonts are parsed once per process, not per document (:mod:`screening.fonts`; reportlab still
  subsets them per document, which is what embedding requires);
* the QR code comes from our own encoder (:mod:`.qr`), drawn as one path of rectangles;
* the static bilingual text (:mod:`.texts`) is wrapped once per process (:mod:`.layout`); streams skip
  ASCII85 encoding (:mod:`.render`).

The verification token goes into the document three times: in the QR code (as the verify URL), in the
document's Keywords metadata, and as small printed text, so the offline check (``screening certificate
verify``, :mod:`.reading`) can recover it from the PDF file itself, even after a tool dropped the metadata.

The modules, from the bottom: ``qr`` (the encoder), ``texts`` (what the page says), ``data`` (what one
certificate holds, and the signing of it), ``layout`` (the page), ``render`` (the PDF file), ``reading``
(the token read back from a file).
"""

from screening.certificates.document.data import (
    ADVICE_TYPES,
    DEFAULT_AUTHORITY,
    AdviceType,
    CertificateData,
    issue_certificate_data,
)
from screening.certificates.document.layout import LayoutOverflow
from screening.certificates.document.qr import qr_matrix, qr_path_operators, qr_rows
from screening.certificates.document.reading import (
    EmbeddedVerification,
    NotACertificate,
    read_embedded_verification,
)
from screening.certificates.document.render import render_certificate

__all__ = [
    "ADVICE_TYPES",
    "DEFAULT_AUTHORITY",
    "AdviceType",
    "CertificateData",
    "EmbeddedVerification",
    "LayoutOverflow",
    "NotACertificate",
    "issue_certificate_data",
    "qr_matrix",
    "qr_path_operators",
    "qr_rows",
    "read_embedded_verification",
    "render_certificate",
]
