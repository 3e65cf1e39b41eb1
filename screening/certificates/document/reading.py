"""Reading a certificate back (the offline check): the token a PDF file carries, from its metadata and its
printed text. No signature is checked here (``verify_token`` does that)."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import BinaryIO

from screening.certificates.document.texts import PRINTED_SIGNATURE_MARKER
from screening.certificates.signing import CertificateError, TamperedToken


class NotACertificate(CertificateError):
    """The file is not a certificate produced by this application (no verification token in it)."""


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
