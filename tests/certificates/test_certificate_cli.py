"""``screening certificate verify FILE.pdf`` offline, and ``keygen``: run as an inspector would."""

from __future__ import annotations

import io
import stat
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from pypdf import PdfWriter
from reportlab.pdfgen.canvas import Canvas

from screening.certificates.cli import certificate
from screening.certificates.document import CertificateData, render_certificate
from screening.certificates.signing import CertificateKeys, generate_keypair, verification_code, verify_url

pytestmark = pytest.mark.nodb

#: A day inside the test certificates' validity, so results do not depend on today's date.
WITHIN = ("--on", "2027-01-01")


@pytest.fixture
def public_key(tmp_path: Path, keys: CertificateKeys) -> Path:
    """The authority's public key as an inspector receives it: a PEM file."""
    path = tmp_path / "nvo.pub.pem"
    path.write_bytes(
        keys.public_keys[keys.kid].public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(certificate, [str(arg) for arg in args], catch_exceptions=False)


def _lines(result: Result) -> list[str]:
    return result.output.strip().splitlines()


def test_a_genuine_certificate(
    keys: CertificateKeys,
    make_data: Callable[..., CertificateData],
    write_pdf: Callable[..., Path],
    public_key: Path,
) -> None:
    data = make_data(holder_name="Рустам Ахмедов")

    result = run("verify", write_pdf(data), "--public-key", public_key, "--on", "2026-06-01")

    assert result.exit_code == 0
    assert _lines(result) == [
        f"valid signature: CLR-2026-000123 holder Р.А., valid 2026-01-15 to 2031-01-14 (key {keys.kid}); "
        "check the live status at "
        f"https://screening.example.org/verify/{data.verification_code} for revocation"
    ]


def test_a_tampered_token_is_not_valid(
    make_data: Callable[..., CertificateData], write_pdf: Callable[..., Path], public_key: Path
) -> None:
    data = make_data()
    flipped = data.token[:80] + ("A" if data.token[80] != "A" else "B") + data.token[81:]
    forged = replace(
        data,
        token=flipped,
        verify_url=verify_url("https://screening.example.org", flipped),
        verification_code=verification_code(flipped),
    )

    result = run("verify", write_pdf(forged, "forged.pdf"), "--public-key", public_key)

    assert result.exit_code == 1
    assert _lines(result) == [
        "not valid: forged.pdf: the verification token is damaged or has been altered "
        "(signature does not match): not a genuine certificate"
    ]


def test_a_file_whose_metadata_was_swapped_is_not_valid(
    make_data: Callable[..., CertificateData], tmp_path: Path, public_key: Path
) -> None:
    original = render_certificate(make_data(clearance_reference="CLR-2026-000001"))
    writer = PdfWriter(clone_from=io.BytesIO(original))
    writer.add_metadata({"/Keywords": make_data(clearance_reference="CLR-2026-000777").verify_url})
    path = tmp_path / "swapped.pdf"
    writer.write(path)

    result = run("verify", path, "--public-key", public_key)

    assert result.exit_code == 1
    assert _lines(result) == [
        "not valid: swapped.pdf: the token printed on the page differs from the one in the file's metadata: "
        "altered file"
    ]


def test_a_certificate_signed_with_another_key_is_not_valid(
    other_keys: CertificateKeys,
    make_data: Callable[..., CertificateData],
    write_pdf: Callable[..., Path],
    public_key: Path,
) -> None:
    path = write_pdf(make_data(other_keys), "other.pdf")

    result = run("verify", path, "--public-key", public_key)

    assert result.exit_code == 1
    assert len(_lines(result)) == 1
    assert _lines(result)[0].startswith(f"not valid: other.pdf: signed with key '{other_keys.kid}'")
    assert "not a genuine certificate" in result.output


def test_files_that_are_not_certificates(tmp_path: Path, public_key: Path) -> None:
    letter = tmp_path / "letter.pdf"
    canvas = Canvas(str(letter))
    canvas.drawString(72, 720, "An ordinary letter")
    canvas.save()
    text = tmp_path / "notes.pdf"
    text.write_text("not a pdf at all")

    for path, reason in [
        (letter, "no verification token found: not a certificate issued by this application"),
        (text, "not a readable PDF file"),
    ]:
        result = run("verify", path, "--public-key", public_key)
        assert result.exit_code == 1
        assert _lines(result) == [f"not valid: {path.name}: {reason}"]


def test_an_expired_or_not_yet_valid_certificate_is_genuine_but_reported(
    make_data: Callable[..., CertificateData], write_pdf: Callable[..., Path], public_key: Path
) -> None:
    path = write_pdf(make_data())

    expired = run("verify", path, "--public-key", public_key, "--on", "2031-01-15")
    early = run("verify", path, "--public-key", public_key, "--on", "2026-01-14")
    last_day = run("verify", path, "--public-key", public_key, "--on", "2031-01-14")

    assert expired.exit_code == 3
    assert _lines(expired)[0].startswith("valid signature, but expired on 2031-01-14: CLR-2026-000123 holder")
    assert early.exit_code == 3
    assert _lines(early)[0].startswith("valid signature, but not valid before 2026-01-15: CLR-2026-000123")
    assert last_day.exit_code == 0


def test_certificates_of_a_retired_key_verify_when_its_public_key_is_given(
    make_data: Callable[..., CertificateData],
    write_pdf: Callable[..., Path],
    public_key: Path,
    tmp_path: Path,
) -> None:
    retired = generate_keypair()
    retired_path = tmp_path / "retired.pub.pem"
    retired_path.write_bytes(retired.public_pem)
    old = write_pdf(make_data(CertificateKeys.from_pem(retired.private_pem)), "old.pdf")

    without = run("verify", old, "--public-key", public_key)
    with_retired = run("verify", old, "--public-key", public_key, "--public-key", retired_path, *WITHIN)

    assert without.exit_code == 1
    assert with_retired.exit_code == 0
    assert f"(key {retired.kid})" in with_retired.output


def test_the_live_status_address_can_be_given_when_the_file_lost_it(
    make_data: Callable[..., CertificateData], tmp_path: Path, public_key: Path
) -> None:
    data = make_data()
    writer = PdfWriter(clone_from=io.BytesIO(render_certificate(data)))
    writer.add_metadata({"/Keywords": ""})
    path = tmp_path / "resaved.pdf"
    writer.write(path)

    plain = run("verify", path, "--public-key", public_key, *WITHIN)
    given = run("verify", path, "--public-key", public_key, "--base-url", "https://nvo.example", *WITHIN)

    assert plain.exit_code == given.exit_code == 0
    assert plain.output.rstrip().endswith(
        f"check the live status with code {data.verification_code} on the verification page for revocation"
    )
    assert f"https://nvo.example/verify/{data.verification_code}" in given.output


def test_a_bad_public_key_is_a_usage_error(
    make_data: Callable[..., CertificateData], write_pdf: Callable[..., Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")

    result = run("verify", write_pdf(make_data()), "--public-key", bad)

    assert result.exit_code == 2
    assert "bad.pem: not a readable PEM public key" in result.output


def test_keygen_writes_a_private_key_for_the_owner_only_and_never_overwrites(tmp_path: Path) -> None:
    result = run("keygen", "--out", tmp_path / "keys")

    assert result.exit_code == 0
    (public,) = (tmp_path / "keys").glob("certificate-*.pub.pem")
    (private,) = (path for path in (tmp_path / "keys").glob("certificate-*.pem") if path != public)
    kid = private.name.removeprefix("certificate-").removesuffix(".pem")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    keys = CertificateKeys.from_config(private, [public])
    assert keys.kid == kid
    assert _lines(result) == [
        f"key {kid}: private {private} (keep secret)",
        f"key {kid}: public {public} (give to checkers)",
    ]

    again = CliRunner().invoke(certificate, ["keygen", "--out", str(tmp_path / "keys")])
    assert again.exit_code == 0  # a new key gets a new name: rotation never overwrites
    assert len(list((tmp_path / "keys").glob("*.pem"))) == 4


# -- with the published key set (--keys) --------------------------------------------------------------


def _key_set(tmp_path: Path, keys: CertificateKeys, *periods: str) -> Path:
    """The key set as the site publishes it, saved to a file."""
    from screening.certificates.keyset import parse_periods, publish

    path = tmp_path / "screening-keys.json"
    path.write_bytes(publish(keys.public_keys, parse_periods(periods, keys.public_keys), keys.kid).body)
    return path


def test_a_saved_key_set_verifies_like_the_public_key(
    tmp_path: Path,
    keys: CertificateKeys,
    make_data: Callable[..., CertificateData],
    write_pdf: Callable[..., Path],
    public_key: Path,
) -> None:
    pdf = write_pdf(make_data())
    with_pem = run("verify", pdf, "--public-key", public_key, *WITHIN)

    result = run("verify", pdf, "--keys", _key_set(tmp_path, keys, f"{keys.kid}=2026-01-01/"), *WITHIN)

    assert result.exit_code == 0
    assert result.output == with_pem.output


def test_a_certificate_dated_outside_its_keys_period_is_not_genuine(
    tmp_path: Path, keys: CertificateKeys, make_data: Callable[..., CertificateData], write_pdf: Callable[..., Path]
) -> None:
    pdf = write_pdf(make_data(issue_date=date(2026, 2, 3)))
    later_key = _key_set(tmp_path, keys, f"{keys.kid}=2026-06-01/")

    backdated = run("verify", pdf, "--keys", later_key, *WITHIN)
    ended = run("verify", pdf, "--keys", _key_set(tmp_path, keys, f"{keys.kid}=2026-01-01/2026-12-31"), *WITHIN)

    assert backdated.exit_code == 1
    assert f"issued on 2026-02-03, outside the period of key {keys.kid} (2026-06-01 to further notice)" in (
        backdated.output
    )
    assert ended.exit_code == 1
    assert f"key {keys.kid} is trusted until 2026-12-31 only: not a genuine certificate any more" in ended.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>sign in</html>", "not a JSON document"),
        (b'["a list"]', 'not a JWK Set: expected {"keys": [...]}'),
        (b'{"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]}', "the key set holds no Ed25519 signing key"),
        (b'{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "K", "x": "c2hvcnQ"}]}', "key K: x is not a 32-byte"),
    ],
)
def test_a_key_set_that_is_not_one_is_a_usage_error(
    tmp_path: Path,
    make_data: Callable[..., CertificateData],
    write_pdf: Callable[..., Path],
    content: bytes,
    message: str,
) -> None:
    path = tmp_path / "keys.json"
    path.write_bytes(content)

    result = run("verify", write_pdf(make_data()), "--keys", path)

    assert result.exit_code == 2
    assert f"Invalid value for --keys: {message}" in result.output


def test_a_key_set_that_pairs_a_key_with_another_id_is_refused(
    tmp_path: Path, keys: CertificateKeys, make_data: Callable[..., CertificateData], write_pdf: Callable[..., Path]
) -> None:
    path = _key_set(tmp_path, keys)
    path.write_text(path.read_text().replace(keys.kid, "ZZZZZZZZ"))

    result = run("verify", write_pdf(make_data()), "--keys", path)

    assert result.exit_code == 2
    assert f"key ZZZZZZZZ: the kid does not match the key (its fingerprint is {keys.kid})" in result.output


def test_verify_needs_some_keys(make_data: Callable[..., CertificateData], write_pdf: Callable[..., Path]) -> None:
    result = run("verify", write_pdf(make_data()))

    assert result.exit_code == 2
    assert "give the authority's keys: --keys URL-or-FILE or --public-key FILE" in result.output
