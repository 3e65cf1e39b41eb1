"""Bulk export: many certificates as one ZIP, produced as a stream of chunks.

An organisation with thousands of cleared workers must get its ZIP without the server holding thousands of
PDFs at once: the archive is written through a small window that holds only the entry being written, and
is drained after each one, so memory stays flat. What does grow is the index of the archive's central
directory, which a ZIP must end with: zipfile keeps about 0.7 kB per entry (0.7 MB for 1,000 files,
against 40 MB of PDFs). Feed it a lazy iterable (e.g. a query read in batches) and hand the
generator to a streaming response.

Entries are stored, not deflated: the PDFs' streams are already compressed, so deflating again would cost
a millisecond a file for a few per cent. Sizes and CRCs go in the local headers (no data descriptors), so
every unzip tool, including Java's ``ZipInputStream``, reads the archive.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator

from screening.certificates.document import CertificateData, render_certificate

__all__ = ["entry_name", "stream_zip"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class _Window(io.RawIOBase):
    """A write-only file that keeps only what was written since the last drain.

    zipfile seeks back to a local header to fill in the CRC and sizes once an entry is written; that
    header lies in the current window, so a window per entry is all the seeking it needs.
    """

    def __init__(self) -> None:
        super().__init__()
        self._buffer = io.BytesIO()
        self._base = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        return self._buffer.write(data)

    def tell(self) -> int:
        return self._base + self._buffer.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            position = offset - self._base
        elif whence == io.SEEK_END:
            position = self._buffer.seek(0, io.SEEK_END) + offset
        else:
            position = self._buffer.tell() + offset
        if position < 0:
            raise OSError("cannot seek back into a part of the archive already sent")
        self._buffer.seek(position)
        return self.tell()

    def drain(self) -> bytes:
        data = self._buffer.getvalue()
        self._base += len(data)
        self._buffer = io.BytesIO()
        return data


def entry_name(data: CertificateData) -> str:
    """``CLR-2026-000001.pdf``: the clearance reference, reduced to characters safe in any file system."""
    return f"{_UNSAFE.sub('_', data.clearance_reference).strip('._') or 'certificate'}.pdf"


def stream_zip(
    items: Iterable[CertificateData],
    *,
    english: bool = False,
    render: Callable[..., bytes] = render_certificate,
) -> Iterator[bytes]:
    """The ZIP of one certificate per item, as chunks (one per certificate, then the directory).

    Items are read one at a time, so a generator over a database query never materialises. A reference
    seen twice gets ``-2``, ``-3``... rather than two entries with one name.
    """
    window = _Window()
    names: set[str] = set()
    with zipfile.ZipFile(window, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for item in items:
            name = stem = entry_name(item).removesuffix(".pdf")
            copy = 1
            while f"{name}.pdf" in names:
                copy += 1
                name = f"{stem}-{copy}"
            name = f"{name}.pdf"
            names.add(name)
            issued = item.issue_date
            info = zipfile.ZipInfo(name, date_time=(issued.year, issued.month, issued.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, render(item, english=english))
            chunk = window.drain()
            if chunk:
                yield chunk
    tail = window.drain()
    if tail:
        yield tail
