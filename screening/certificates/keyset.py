"""The published verification keys: a JWK Set (RFC 7517) of the Ed25519 public keys (RFC 8037: ``kty`` OKP,
``crv`` Ed25519, ``x`` the raw key in base64url), served at ``/.well-known/screening-keys.json``.

Another authority, a gate system or an inspector then needs nothing of ours but this file to check a
certificate or a status list offline. Each key carries its ``kid`` (our fingerprint, which a reader
recomputes, so a set cannot pair a key with another key's id) and, when configured, its validity period as
``nbf`` / ``exp`` (NumericDate, seconds since 1970 UTC, as OpenID Federation's historical keys carry them):
``nbf`` is midnight UTC of the first day the key signs, ``exp`` midnight UTC after the last day its
signatures are trusted. No Flask import: the view and the command line share this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from screening.certificates.signing import CertificateError, VerifiedCertificate, key_id

__all__ = [
    "MEDIA_TYPE",
    "KeyPeriod",
    "KeySetError",
    "OutsideKeyPeriod",
    "PublishedKey",
    "PublishedKeySet",
    "check_key_period",
    "parse_periods",
    "publish",
    "read_key_set",
]

#: The media type RFC 7517 registers for a JWK Set.
MEDIA_TYPE = "application/jwk-set+json"


class KeySetError(CertificateError):
    """A key set cannot be used: not JSON, not a JWK Set, or a key that is not what it says."""


class OutsideKeyPeriod(CertificateError):
    """The key that signed is published, but not for that day: a forged date or a key no longer trusted."""


@dataclass(frozen=True)
class KeyPeriod:
    """The days a key's signatures count: from its first signing day to the last day they are trusted."""

    valid_from: date | None = None
    valid_until: date | None = None

    def describe(self) -> str:
        start = self.valid_from.isoformat() if self.valid_from else "the start"
        end = self.valid_until.isoformat() if self.valid_until else "further notice"
        return f"{start} to {end}"


@dataclass(frozen=True)
class PublishedKey:
    key: Ed25519PublicKey
    period: KeyPeriod


@dataclass(frozen=True)
class PublishedKeySet:
    """The served document, built once at start-up (the keys are read once): its bytes and its ETag."""

    body: bytes
    etag: str


def _day(text: str, entry: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{entry!r} is not KID=FROM/UNTIL (days as 2026-01-31, either may be empty)") from None


def parse_periods(entries: Iterable[str], trusted_kids: Iterable[str]) -> dict[str, KeyPeriod]:
    """``"KID=FROM/UNTIL"`` entries by kid; raises ValueError naming the entry. A kid that is not one of the
    trusted keys is refused: a typo would otherwise publish a key without the period meant for it."""
    trusted = set(trusted_kids)
    periods: dict[str, KeyPeriod] = {}
    for entry in entries:
        kid, equals, span = entry.partition("=")
        start, slash, end = span.partition("/")
        kid = kid.strip()
        if not equals or not slash:
            raise ValueError(f"{entry!r} is not KID=FROM/UNTIL (days as 2026-01-31, either may be empty)")
        if kid not in trusted:
            raise ValueError(f"{entry!r}: {kid} is not one of the trusted keys ({', '.join(sorted(trusted))})")
        if kid in periods:
            raise ValueError(f"two periods for key {kid}")
        period = KeyPeriod(_day(start, entry), _day(end, entry))
        if period.valid_from and period.valid_until and period.valid_until < period.valid_from:
            raise ValueError(f"{entry!r}: the period ends before it starts")
        periods[kid] = period
    return periods


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _midnight(day: date) -> int:
    return int(datetime.combine(day, time(), UTC).timestamp())


def _jwk(kid: str, key: Ed25519PublicKey, period: KeyPeriod) -> dict[str, Any]:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk: dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": kid, "use": "sig", "alg": "EdDSA"}
    if period.valid_from:
        jwk["nbf"] = _midnight(period.valid_from)
    if period.valid_until:
        jwk["exp"] = _midnight(period.valid_until + timedelta(days=1))
    return jwk


def publish(
    public_keys: Mapping[str, Ed25519PublicKey], periods: Mapping[str, KeyPeriod], active_kid: str | None
) -> PublishedKeySet:
    """Every trusted key, the active one first, then the retired ones by kid."""
    order = sorted(public_keys, key=lambda kid: (kid != active_kid, kid))
    document = {"keys": [_jwk(kid, public_keys[kid], periods.get(kid, KeyPeriod())) for kid in order]}
    body = (json.dumps(document, indent=2) + "\n").encode("ascii")
    return PublishedKeySet(body=body, etag=hashlib.sha256(body).hexdigest()[:32])


def _numeric_day(jwk: Mapping[str, Any], name: str, kid: str) -> datetime | None:
    value = jwk.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise KeySetError(f"key {kid}: {name} must be a NumericDate (seconds since 1970)")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise KeySetError(f"key {kid}: {name} {value} is not a date") from None


def _published_key(jwk: Mapping[str, Any]) -> tuple[str, PublishedKey]:
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not isinstance(jwk.get("x"), str):
        raise KeySetError("an Ed25519 key without a kid or x member")
    try:
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        key = Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise KeySetError(f"key {kid}: x is not a 32-byte Ed25519 public key in base64url") from None
    if key_id(key) != kid:
        raise KeySetError(f"key {kid}: the kid does not match the key (its fingerprint is {key_id(key)})")
    starts, ends = _numeric_day(jwk, "nbf", kid), _numeric_day(jwk, "exp", kid)
    period = KeyPeriod(starts.date() if starts else None, (ends - timedelta(seconds=1)).date() if ends else None)
    return kid, PublishedKey(key, period)


def read_key_set(data: bytes) -> dict[str, PublishedKey]:
    """The Ed25519 signing keys of a JWK Set by kid; other kinds of key (another authority's RSA key, an
    encryption key) are passed over. Raises :class:`KeySetError` with what is wrong."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise KeySetError("not a JSON document") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not all(isinstance(jwk, dict) for jwk in keys):
        raise KeySetError('not a JWK Set: expected {"keys": [...]}')
    found = dict(
        _published_key(jwk)
        for jwk in keys
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("use", "sig") == "sig"
    )
    if not found:
        raise KeySetError("the key set holds no Ed25519 signing key")
    return found


def check_key_period(verified: VerifiedCertificate, period: KeyPeriod, day: date) -> None:
    """Refuse a certificate issued on a day its key did not sign, or checked after its key's trust ended."""
    starts, ends = period.valid_from, period.valid_until
    issued = verified.issue_date
    if (starts and issued < starts) or (ends and issued > ends):
        raise OutsideKeyPeriod(
            f"issued on {issued.isoformat()}, outside the period of key {verified.kid} ({period.describe()}): "
            "not a genuine certificate"
        )
    if ends and day > ends:
        raise OutsideKeyPeriod(
            f"key {verified.kid} is trusted until {ends.isoformat()} only: not a genuine certificate any more"
        )
