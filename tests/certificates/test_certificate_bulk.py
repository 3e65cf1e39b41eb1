"""The bulk ZIP: streamed one certificate at a time, readable by any unzip, memory flat."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from pypdf import PdfReader

from screening.certificates.bulk import entry_name, stream_zip
from screening.certificates.document import CertificateData
from screening.certificates.signing import CertificateKeys, verify_token

pytestmark = pytest.mark.nodb


def test_a_zip_of_fifty_certificates(
    keys: CertificateKeys,
    make_data: Callable[..., CertificateData],
) -> None:
    items = [
        make_data(clearance_reference=f"CLR-2026-{n:06d}", holder_name=name)
        for n, name in enumerate(["Mehmet Çelik", "Anna Nowak-Wiśniewska", "Рустам Ахмедов"] * 17, start=1)
    ][:50]

    archive = zipfile.ZipFile(io.BytesIO(b"".join(stream_zip(items))))

    assert archive.testzip() is None
    assert archive.namelist() == [f"CLR-2026-{n:06d}.pdf" for n in range(1, 51)]
    for info, item in zip(archive.infolist(), items, strict=True):
        assert info.flag_bits & 0x08 == 0  # sizes in the local header: Java's ZipInputStream reads it too
        assert info.date_time == (2026, 2, 3, 0, 0, 0)
        pdf = archive.read(info)
        assert pdf.startswith(b"%PDF-")
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        assert item.holder_name in reader.pages[0].extract_text()
        assert verify_token(item.token, keys.public_keys).reference == item.clearance_reference


def test_items_are_read_lazily_one_chunk_per_certificate(make_data: Callable[..., CertificateData]) -> None:
    consumed: list[int] = []

    def items() -> Iterator[CertificateData]:
        for n in range(1, 4):
            consumed.append(n)
            yield make_data(clearance_reference=f"CLR-2026-{n:06d}")

    stream = stream_zip(items())
    first = next(stream)

    assert consumed == [1]
    assert first.startswith(b"PK\x03\x04")
    rest = list(stream)
    assert consumed == [1, 2, 3]
    assert len(rest) == 3  # two more certificates, then the central directory
    assert zipfile.ZipFile(io.BytesIO(first + b"".join(rest))).testzip() is None


def test_a_reference_seen_twice_gets_a_second_name(make_data: Callable[..., CertificateData]) -> None:
    same = make_data(clearance_reference="CLR-2026-000009")

    names = zipfile.ZipFile(io.BytesIO(b"".join(stream_zip([same, same, same])))).namelist()

    assert names == ["CLR-2026-000009.pdf", "CLR-2026-000009-2.pdf", "CLR-2026-000009-3.pdf"]


def test_entry_names_are_safe_file_names(make_data: Callable[..., CertificateData]) -> None:
    assert entry_name(make_data(clearance_reference="CLR-2026-000001")) == "CLR-2026-000001.pdf"
    assert entry_name(make_data(clearance_reference="../../etc/passwd")) == "etc_passwd.pdf"
    assert entry_name(make_data(clearance_reference="...")) == "certificate.pdf"


def test_memory_stays_flat_however_many_certificates(make_data: Callable[..., CertificateData]) -> None:
    """The archive is never held whole: only the ZIP's central directory grows, by well under 1 kB an entry
    against 40 kB of PDF an entry."""
    item = make_data()
    fake_pdf = b"%PDF-1.4\n" + bytes(range(256)) * 160  # 40 kB, about one certificate

    def peak(count: int) -> tuple[int, int]:
        tracemalloc.start()
        total = 0
        for chunk in stream_zip([item] * count, render=lambda data, english=False: fake_pdf):
            total += len(chunk)
        _, highest = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return highest, total

    small, _ = peak(10)
    large, large_size = peak(410)

    assert large_size > 16_000_000
    assert (large - small) / 400 < 1024


def test_the_renderer_receives_the_english_choice(make_data: Callable[..., CertificateData]) -> None:
    seen: list[bool] = []

    def render(data: CertificateData, english: bool = False) -> bytes:
        seen.append(english)
        return b"%PDF-1.4\n"

    list(stream_zip([make_data(), make_data(issue_date=date(2026, 3, 1))], english=True, render=render))

    assert seen == [True, True]
