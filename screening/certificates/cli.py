"""``screening certificate ...``: check a certificate file offline, and make signing keys.

Needs no configuration, database or Flask app: an inspector with the PDF and the authority's public key
(a PEM file, or the published key set saved as a file) can run ``verify`` on a laptop with no network;
``--keys URL`` fetches the key set instead. Exit status of ``verify``: 0 genuine and within its
validity period, 1 not genuine (altered, signed with another key, not a certificate), 2 usage error,
3 genuine but outside its validity period. Revocation can only be seen online: every answer says where.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from screening.certificates.document import read_embedded_verification
from screening.certificates.keyset import KeyPeriod, KeySetError, check_key_period, read_key_set
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
#: A key set is a few hundred bytes per key: a larger answer is not one.
MAX_KEY_SET_BYTES = 1024 * 1024
KEY_SET_TIMEOUT_SECONDS = 10


@click.group("certificate")
def certificate() -> None:
    """Clearance certificates: offline verification and signing keys."""


def _status_hint(verified: VerifiedCertificate, verify_url: str | None, base_url: str | None) -> str:
    base = base_url or (verify_url.split("/verify/", 1)[0] if verify_url else None)
    code = verified.verification_code
    if base:
        return f"check the live status at {base.rstrip('/')}/verify/{code} for revocation"
    return f"check the live status with code {code} on the verification page for revocation"


def _fetch_key_set(source: str) -> bytes:
    """The key set's bytes from an http(s) URL (a short timeout: an inspector is waiting) or a file."""
    if source.startswith(("https://", "http://")):
        try:
            with urllib.request.urlopen(source, timeout=KEY_SET_TIMEOUT_SECONDS) as answer:  # noqa: S310 - http(s) only
                data: bytes = answer.read(MAX_KEY_SET_BYTES + 1)
        except urllib.error.HTTPError as error:
            error.close()
            raise KeySetError(f"cannot fetch {source}: {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            raise KeySetError(f"cannot fetch {source}: {reason}") from None
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            raise KeySetError(f"cannot read {source}: {error.strerror or error}") from None
    if len(data) > MAX_KEY_SET_BYTES:
        raise KeySetError(f"{source}: larger than {MAX_KEY_SET_BYTES} bytes, not a key set")
    return data


def _trusted_keys(
    public_key_files: tuple[Path, ...], key_set: str | None
) -> tuple[dict[str, Ed25519PublicKey], dict[str, KeyPeriod]]:
    """The keys to check against, and the periods the key set publishes for its own keys."""
    if not public_key_files and not key_set:
        raise click.UsageError("give the authority's keys: --keys URL-or-FILE or --public-key FILE")
    try:
        public_keys = load_public_keys(public_key_files)
    except KeyConfigurationError as error:
        raise click.BadParameter(str(error), param_hint="--public-key") from None
    periods: dict[str, KeyPeriod] = {}
    if key_set:
        try:
            published = read_key_set(_fetch_key_set(key_set))
        except KeySetError as error:
            raise click.BadParameter(str(error), param_hint="--keys") from None
        public_keys.update({kid: entry.key for kid, entry in published.items()})
        periods = {kid: entry.period for kid, entry in published.items()}
    return public_keys, periods


@certificate.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--keys",
    "key_set",
    default=None,
    metavar="URL-or-FILE",
    help="The authority's published key set (/.well-known/screening-keys.json): a URL or a saved file.",
)
@click.option(
    "--public-key",
    "public_key_files",
    multiple=True,
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
    key_set: str | None,
    public_key_files: tuple[Path, ...],
    on_date: datetime | None,
    base_url: str | None,
) -> None:
    """Check FILE's signature offline and print one line: who, which dates, which key."""
    public_keys, periods = _trusted_keys(public_key_files, key_set)
    day = on_date.date() if on_date else today()  # the Belgian date, as the certificate counts it
    try:
        embedded = read_embedded_verification(file.read_bytes())
        verified = verify_token(embedded.token, public_keys)
        if verified.kid in periods:
            check_key_period(verified, periods[verified.kid], day)
    except CertificateError as error:
        click.echo(f"not valid: {file.name}: {error}", err=True)
        raise SystemExit(EXIT_NOT_GENUINE) from None
    except OSError as error:
        click.echo(f"not valid: {file.name}: cannot read the file ({error.strerror or error})", err=True)
        raise SystemExit(EXIT_NOT_GENUINE) from None

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
