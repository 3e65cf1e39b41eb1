"""``screening certificate ...``: check a certificate file offline, and make signing keys.

Needs no configuration, database or Flask app: an inspector with the PDF and the authority's public key
can run ``verify`` on a laptop with no network. Exit status of ``verify``: 0 genuine and within its
validity period, 1 not genuine (altered, signed with another key, not a certificate), 2 usage error,
3 genuine but outside its validity period. Revocation can only be seen online: every answer says where.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click

from screening.certificates.document import read_embedded_verification
from screening.certificates.signing import (
    CertificateError,
    KeyConfigurationError,
    VerifiedCertificate,
    generate_keypair,
    load_public_keys,
    verify_token,
)
from screening.clock import today

__all__ = ["certificate"]

EXIT_NOT_GENUINE = 1
EXIT_OUTSIDE_VALIDITY = 3


@click.group("certificate")
def certificate() -> None:
    """Clearance certificates: offline verification and signing keys."""


def _status_hint(verified: VerifiedCertificate, verify_url: str | None, base_url: str | None) -> str:
    base = base_url or (verify_url.split("/verify/", 1)[0] if verify_url else None)
    code = verified.verification_code
    if base:
        return f"check the live status at {base.rstrip('/')}/verify/{code} for revocation"
    return f"check the live status with code {code} on the verification page for revocation"


@certificate.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key_files",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The authority's public key (PEM). Repeat for keys retired by rotation.",
)
@click.option(
    "--on",
    "on_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Judge the validity period on this day (YYYY-MM-DD) instead of today.",
)
@click.option("--base-url", default=None, help="Verification site, when the file no longer names it.")
def verify(
    file: Path,
    public_key_files: tuple[Path, ...],
    on_date: datetime | None,
    base_url: str | None,
) -> None:
    """Check FILE's signature offline and print one line: who, which dates, which key."""
    try:
        public_keys = load_public_keys(public_key_files)
    except KeyConfigurationError as error:
        raise click.BadParameter(str(error), param_hint="--public-key") from None
    try:
        embedded = read_embedded_verification(file.read_bytes())
        verified = verify_token(embedded.token, public_keys)
    except CertificateError as error:
        click.echo(f"not valid: {file.name}: {error}", err=True)
        raise SystemExit(EXIT_NOT_GENUINE) from None
    except OSError as error:
        click.echo(f"not valid: {file.name}: cannot read the file ({error.strerror or error})", err=True)
        raise SystemExit(EXIT_NOT_GENUINE) from None

    day = on_date.date() if on_date else today()  # the Belgian date, as the certificate counts it
    summary = (
        f"{verified.reference} holder {verified.holder_initials}, "
        f"valid {verified.valid_from.isoformat()} to {verified.valid_until.isoformat()} "
        f"(key {verified.kid}); "
        f"{_status_hint(verified, embedded.verify_url, base_url)}"
    )
    if day > verified.valid_until:
        click.echo(f"valid signature, but expired on {verified.valid_until.isoformat()}: {summary}")
        raise SystemExit(EXIT_OUTSIDE_VALIDITY)
    if day < verified.valid_from:
        click.echo(f"valid signature, but not valid before {verified.valid_from.isoformat()}: {summary}")
        raise SystemExit(EXIT_OUTSIDE_VALIDITY)
    click.echo(f"valid signature: {summary}")


@certificate.command("keygen")
@click.option(
    "--out",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the new key files (created if missing).",
)
def keygen(directory: Path) -> None:
    """Make a new Ed25519 signing key: for a first installation or a rotation (see docs/certificates.md)."""
    pair = generate_keypair()
    directory.mkdir(parents=True, exist_ok=True)
    private_path = directory / f"certificate-{pair.kid}.pem"
    public_path = directory / f"certificate-{pair.kid}.pub.pem"
    for path in (private_path, public_path):
        if path.exists():
            raise click.ClickException(f"{path} exists: not overwriting a key")
    # The private key is created readable by its owner only, never briefly world-readable.
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pair.private_pem)
    public_path.write_bytes(pair.public_pem)
    click.echo(f"key {pair.kid}: private {private_path} (keep secret)")
    click.echo(f"key {pair.kid}: public {public_path} (give to checkers)")
