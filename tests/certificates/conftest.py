"""Fixtures for the certificate tests: keys, certificate data, and the poppler tools.

Nothing here touches the database or the Flask app: the certificate layer is plain modules.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from screening.certificates.document import CertificateData, issue_certificate_data, render_certificate
from screening.certificates.signing import CertificateKeys, generate_keypair
from tests.support.services import require_service

BASE_URL = "https://screening.example.org"


def require_tool(name: str) -> str:
    """A missing poppler tool fails the run under CI (never a silent skip); elsewhere it skips."""
    path = shutil.which(name)
    if path:
        return path
    require_service(name, f"{name} not found: install poppler-utils")


@pytest.fixture
def pdftotext() -> Callable[[Path], str]:
    tool = require_tool("pdftotext")

    def extract(pdf: Path) -> str:
        command = [tool, "-enc", "UTF-8", str(pdf), "-"]
        return subprocess.run(command, check=True, capture_output=True).stdout.decode()

    return extract


@pytest.fixture
def pdftoppm() -> Callable[[Path, int], Path]:
    tool = require_tool("pdftoppm")

    def rasterise(pdf: Path, resolution: int = 150) -> Path:
        stem = pdf.with_suffix("")
        command = [tool, "-png", "-r", str(resolution), "-singlefile", str(pdf), str(stem)]  # page 1
        subprocess.run(command, check=True)
        return stem.with_suffix(".png")

    return rasterise


@pytest.fixture(scope="session")
def keys() -> CertificateKeys:
    return CertificateKeys.from_pem(generate_keypair().private_pem)


@pytest.fixture(scope="session")
def other_keys() -> CertificateKeys:
    """Somebody else's key: certificates it signs must never pass."""
    return CertificateKeys.from_pem(generate_keypair().private_pem)


@pytest.fixture
def make_data(keys: CertificateKeys) -> Callable[..., CertificateData]:
    def make(signing_keys: CertificateKeys | None = None, **overrides: Any) -> CertificateData:
        fields: dict[str, Any] = {
            "base_url": BASE_URL,
            "holder_name": "Anna Maria Nowak-Wiśniewska",
            "date_of_birth": date(1985, 7, 30),
            "masked_national_number": "85.07.30-***.**",
            "advice_type": "positive",
            "valid_from": date(2026, 1, 15),
            "valid_until": date(2031, 1, 14),
            "clearance_reference": "CLR-2026-000123",
            "issue_date": date(2026, 2, 3),
            "function_names": ("Havenarbeider / Travailleur portuaire",),
        }
        fields.update(overrides)
        return issue_certificate_data(signing_keys or keys, **fields)

    return make


@pytest.fixture
def write_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Render a certificate into a file, as HR would download it."""

    def write(data: CertificateData, name: str | None = None, *, english: bool = False) -> Path:
        path = tmp_path / (name or f"{data.clearance_reference}.pdf")
        path.write_bytes(render_certificate(data, english=english))
        return path

    return write
