"""One font module for every PDF: DejaVu is required and checked at start, never silently replaced."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from screening import fonts
from screening.app import create_app
from screening.certificates.document import CertificateData, render_certificate
from screening.config import ConfigError, make_config, parse_config
from screening.reports.build import ReportDocument, Row, Section, to_pdf
from screening.subjects.export_pdf import SubjectExportDocument

pytestmark = pytest.mark.nodb

NAME = "Рустам Ахмедов Nowak-Wiśniewska"


@pytest.fixture(autouse=True)
def _default_fonts_afterwards() -> Iterator[None]:
    yield
    fonts.use_font_dir(fonts.DEFAULT_FONT_DIR)


def _font_names(pdf: bytes) -> set[str]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in page["/Resources"]["/Font"].values()}


def _documents(make_data: Callable[..., CertificateData]) -> dict[str, bytes]:
    report = ReportDocument(NAME, "2026-03", [Section("Figures", [Row("submitted", NAME, 7)])])
    export = SubjectExportDocument({"person": {"name": NAME}})
    return {
        "certificate": render_certificate(make_data(holder_name=NAME)),
        "report": to_pdf(report),
        "export": export.build(),
    }


def test_certificates_reports_and_exports_embed_the_same_dejavu_faces(
    make_data: Callable[..., CertificateData], pdftotext: Callable[[Path], str], tmp_path: Path
) -> None:
    for kind, pdf in _documents(make_data).items():
        assert _font_names(pdf) <= {"DejaVuSans", "DejaVuSans-Bold"}, kind
        assert "DejaVuSans" in _font_names(pdf), kind
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(pdf)
        assert "Рустам Ахмедов" in pdftotext(path), kind  # no black boxes where Helvetica has no glyph


def test_a_missing_font_stops_the_start_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=rf"documents\.font_dir: font {tmp_path}/DejaVuSans\.ttf is missing"):
        create_app(make_config(documents={"font_dir": str(tmp_path)}))
    shutil.copy(Path(fonts.DEFAULT_FONT_DIR) / "DejaVuSans.ttf", tmp_path)
    with pytest.raises(ConfigError, match=r"DejaVuSans-Bold\.ttf is missing"):
        create_app(make_config(documents={"font_dir": str(tmp_path)}))


def test_a_failed_check_keeps_the_fonts_in_use(make_data: Callable[..., Any], tmp_path: Path) -> None:
    with pytest.raises(fonts.FontMissing):
        fonts.use_font_dir(tmp_path)
    assert render_certificate(make_data()).startswith(b"%PDF")


def test_fonts_from_another_directory_and_from_the_environment(
    make_data: Callable[..., CertificateData], tmp_path: Path
) -> None:
    for filename in fonts.FILES.values():
        shutil.copy(Path(fonts.DEFAULT_FONT_DIR) / filename, tmp_path)
    config = parse_config({}, env={"SCREENING_FONT_DIR": str(tmp_path)})
    assert config.documents.font_dir == str(tmp_path)
    fonts.use_font_dir(config.documents.font_dir)
    assert "DejaVuSans" in _font_names(render_certificate(make_data()))


def test_the_configured_default_is_the_fonts_modules_default() -> None:
    from screening.config import DocumentsConfig

    assert DocumentsConfig().font_dir == fonts.DEFAULT_FONT_DIR
