"""The certificate PDF: every field findable in Dutch and French, fonts embedded, QR code scannable."""

from __future__ import annotations

import io
import random
import re
import string
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.graphics.barcode import qrencoder
from reportlab.pdfgen.canvas import Canvas

from screening.certificates.document import (
    CertificateData,
    LayoutOverflow,
    NotACertificate,
    qr_matrix,
    qr_path_operators,
    qr_rows,
    read_embedded_verification,
    render_certificate,
)
from screening.certificates.signing import CertificateKeys, TamperedToken, lookup_code, verify_token

pytestmark = pytest.mark.nodb

HOLDERS = ["Mehmet Çelik", "Anna Maria Nowak-Wiśniewska", "Рустам Ахмедов"]

DUTCH = [
    "Nationale Veiligheidsoverheid",
    "Veiligheidsadvies",
    "Naam en voornamen",
    "Geboortedatum",
    "Rijksregisternummer",
    "Advies",
    "POSITIEF",
    "Kritieke functie(s)",
    "Geldig vanaf",
    "Geldig tot en met",
    "Referentie",
    "Uitgereikt door",
    "Datum van uitgifte",
    "Echtheid en actuele status",
    "verificatiecode",
    "controleer de actuele status altijd op de verificatiepagina",
]
FRENCH = [
    "Autorité nationale de Sécurité",
    "Avis de sécurité",
    "Nom et prénoms",
    "Date de naissance",
    "Numéro de registre national",
    "Avis",
    "POSITIF",
    "Fonction(s) critique(s)",
    "Valable à partir du",
    "Valable jusqu'au",
    "Référence",
    "Délivré par",
    "Date de délivrance",
    "Authenticité et statut actuel",
    "code de vérification",
    "vérifiez toujours le statut actuel sur la page de vérification",
]
ENGLISH = ["Security advice", "Date of birth", "Valid until", "check the current status"]


def _flat(text: str) -> str:
    """Extracted text with any run of white space as one space, and no hyphenation artefacts."""
    return re.sub(r"\s+", " ", text)


def _values(data: CertificateData) -> list[str]:
    return [
        data.holder_name,
        "30.07.1985",
        "85.07.30-***.**",
        "Havenarbeider / Travailleur portuaire",
        "15.01.2026",
        "14.01.2031",
        data.clearance_reference,
        "Nationale Veiligheidsoverheid / Autorité nationale de",
        "03.02.2026",
        data.verification_code,
        "screening.example.org/verify",
    ]


@pytest.mark.parametrize("holder", HOLDERS)
def test_every_field_is_printed_in_both_languages_and_extracts_with_pdftotext(
    make_data: Callable[..., CertificateData],
    write_pdf: Callable[..., Path],
    pdftotext: Callable[[Path], str],
    holder: str,
) -> None:
    data = make_data(holder_name=holder)

    text = _flat(pdftotext(write_pdf(data)))

    for expected in [*DUTCH, *FRENCH, *_values(data)]:
        assert expected in text, expected
    for absent in ENGLISH:
        assert absent not in text


@pytest.mark.parametrize("holder", HOLDERS)
def test_every_field_extracts_with_pypdf(make_data: Callable[..., CertificateData], holder: str) -> None:
    data = make_data(holder_name=holder)
    reader = PdfReader(io.BytesIO(render_certificate(data)))

    text = _flat(reader.pages[0].extract_text())

    for expected in [*DUTCH, *FRENCH, *_values(data)]:
        assert expected in text, expected


def test_english_is_added_on_request(
    make_data: Callable[..., CertificateData],
    write_pdf: Callable[..., Path],
    pdftotext: Callable[[Path], str],
) -> None:
    data = make_data(holder_name="Рустам Ахмедов")

    text = _flat(pdftotext(write_pdf(data, english=True)))

    site = "screening.example.org/ verify"  # three columns are narrow: the address breaks after its "/"
    values = [value if "/verify" not in value else site for value in _values(data)]
    for expected in [*DUTCH, *FRENCH, *ENGLISH, "POSITIVE", "National Security Authority", *values]:
        assert expected in text, expected


def test_one_a4_page_with_both_fonts_embedded_and_the_token_in_the_metadata(
    make_data: Callable[..., CertificateData],
) -> None:
    data = make_data(holder_name="Рустам Ахмедов")
    reader = PdfReader(io.BytesIO(render_certificate(data)))

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = {
        font.get_object()["/BaseFont"].split("+", 1)[1]
        for font in fonts.values()
        if "/FontFile2" in font.get_object()["/FontDescriptor"]
    }
    assert embedded == {"DejaVuSans", "DejaVuSans-Bold"}
    assert reader.metadata["/Keywords"] == data.verify_url
    assert data.clearance_reference in reader.metadata["/Title"]


def test_a_positive_advice_with_warning_prints_as_positive_and_says_nothing_of_the_warning(
    make_data: Callable[..., CertificateData],
) -> None:
    data = make_data(advice_type="positive_with_warning")

    text = _flat(PdfReader(io.BytesIO(render_certificate(data))).pages[0].extract_text()).lower()

    assert "positief · positif" in text
    for word in ("warning", "waarschuwing", "avertissement", "grond", "motif"):
        assert word not in text


@pytest.mark.parametrize("advice_type", ["negative", "final_negative", ""])
def test_no_certificate_for_anything_but_a_positive_advice(
    make_data: Callable[..., CertificateData], advice_type: str
) -> None:
    with pytest.raises(ValueError, match="no certificate for advice type"):
        make_data(advice_type=advice_type)


def test_a_person_without_a_national_number_gets_a_dash(make_data: Callable[..., CertificateData]) -> None:
    data = make_data(masked_national_number=None, function_names=())

    text = _flat(PdfReader(io.BytesIO(render_certificate(data))).pages[0].extract_text())

    assert "Rijksregisternummer Numéro de registre national —" in text
    assert "Kritieke functie(s)" not in text


def test_the_qr_code_scans_to_the_verify_url_and_verifies_offline(
    keys: CertificateKeys,
    make_data: Callable[..., CertificateData],
    write_pdf: Callable[..., Path],
    pdftoppm: Callable[[Path, int], Path],
) -> None:
    data = make_data(holder_name="Mehmet Çelik")

    png = pdftoppm(write_pdf(data), 150)
    results = zxingcpp.read_barcodes(Image.open(png))

    assert [result.format for result in results] == [zxingcpp.BarcodeFormat.QRCode]
    url = results[0].text
    assert url == data.verify_url
    assert url.startswith("https://screening.example.org/verify/")
    verified = verify_token(url.rsplit("/", 1)[1], keys.public_keys)
    assert (verified.reference, verified.holder_initials) == (data.clearance_reference, "M.Ç.")
    assert verified.kid == keys.kid
    assert (verified.valid_from, verified.valid_until, verified.issue_date) == (
        data.valid_from,
        data.valid_until,
        data.issue_date,
    )
    # The public page looks the printed code up; the QR's token leads to the same code.
    assert lookup_code(url.rsplit("/", 1)[1], keys.public_keys) == data.verification_code


def test_long_names_many_functions_and_english_still_fit_one_page(
    make_data: Callable[..., CertificateData],
    write_pdf: Callable[..., Path],
    pdftoppm: Callable[[Path, int], Path],
) -> None:
    data = make_data(
        base_url="https://screening.havenbedrijf-antwerpen-brugge.example.org",
        holder_name="Рустам Ахмедович Ахмедов-Çelik Nowak-Wiśniewska Van den Bossche de la Tour d'Auvergne",
        function_names=(
            "Havenarbeider / Travailleur portuaire",
            "Bewakingsagent / Agent de gardiennage",
            "ICT met toegang tot ladingdata / ICT avec accès aux données de cargaison",
        ),
    )

    path = write_pdf(data, english=True)

    assert len(PdfReader(path).pages) == 1
    assert zxingcpp.read_barcodes(Image.open(pdftoppm(path, 150)))[0].text == data.verify_url


def test_content_beyond_any_real_certificate_is_refused_not_cut(
    make_data: Callable[..., CertificateData],
) -> None:
    data = make_data(function_names=tuple(f"Function number {n} with a long name" for n in range(80)))

    with pytest.raises(LayoutOverflow, match="CLR-2026-000123"):
        render_certificate(data)


def test_our_qr_modules_are_exactly_reportlabs() -> None:
    rng = random.Random(2026)
    # byte, numeric and alphanumeric mode, small and large versions
    alphabets = [string.ascii_letters + "-_/:.", string.digits, string.ascii_uppercase + " $%*+-./:"]
    for _ in range(60):
        text = "".join(rng.choice(rng.choice(alphabets)) for _ in range(rng.randint(1, 300)))
        reference = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
        reference.addData(text)
        reference.make()
        assert qr_matrix(text) == reference.modules, text


def test_the_qr_path_covers_exactly_the_dark_modules() -> None:
    count, rows = qr_rows("https://screening.example.org/verify/AQhCRFBSWDRCTg9DTFItMjAyNi0wMDAwMDE")
    painted = [[False] * count for _ in range(count)]

    for x, y, width, height in re.findall(r"(\d+) (\d+) (\d+) (\d+) re", qr_path_operators(count, rows)):
        assert height == "1"
        for column in range(int(x), int(x) + int(width)):
            row = count - 1 - int(y)
            assert not painted[row][column]
            painted[row][column] = True

    assert painted == qr_matrix("https://screening.example.org/verify/AQhCRFBSWDRCTg9DTFItMjAyNi0wMDAwMDE")


def test_the_token_is_read_back_from_the_file(make_data: Callable[..., CertificateData]) -> None:
    data = make_data()

    embedded = read_embedded_verification(render_certificate(data))

    assert (embedded.token, embedded.verify_url) == (data.token, data.verify_url)


def test_the_printed_token_is_used_when_a_tool_dropped_the_metadata(
    make_data: Callable[..., CertificateData],
) -> None:
    data = make_data(holder_name="Рустам Ахмедов")
    writer = PdfWriter(clone_from=io.BytesIO(render_certificate(data)))
    writer.add_metadata({"/Keywords": ""})
    stripped = io.BytesIO()
    writer.write(stripped)

    embedded = read_embedded_verification(stripped.getvalue())

    assert (embedded.token, embedded.verify_url) == (data.token, None)


def test_a_page_with_another_certificates_metadata_is_altered(
    make_data: Callable[..., CertificateData],
) -> None:
    page_of = make_data(clearance_reference="CLR-2026-000001")
    metadata_of = make_data(clearance_reference="CLR-2026-000002")
    writer = PdfWriter(clone_from=io.BytesIO(render_certificate(page_of)))
    writer.add_metadata({"/Keywords": metadata_of.verify_url})
    altered = io.BytesIO()
    writer.write(altered)

    with pytest.raises(TamperedToken, match="differs"):
        read_embedded_verification(altered.getvalue())


def test_files_that_are_not_certificates(tmp_path: Path) -> None:
    plain = io.BytesIO()
    canvas = Canvas(plain)
    canvas.drawString(72, 720, "An ordinary letter")
    canvas.save()

    with pytest.raises(NotACertificate, match="no verification token"):
        read_embedded_verification(plain.getvalue())
    with pytest.raises(NotACertificate, match="not a readable PDF"):
        read_embedded_verification(b"this is a text file, not a PDF")
    with pytest.raises(NotACertificate, match="not a readable PDF"):
        read_embedded_verification(b"")


def test_issue_date_and_dates_are_printed_day_first(make_data: Callable[..., CertificateData]) -> None:
    data = make_data(
        issue_date=date(2026, 12, 31),
        valid_from=date(2026, 12, 1),
        valid_until=date(2031, 11, 30),
    )

    text = _flat(PdfReader(io.BytesIO(render_certificate(data))).pages[0].extract_text())

    for expected in ("31.12.2026", "01.12.2026", "30.11.2031"):
        assert expected in text
