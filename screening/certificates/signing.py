"""Ed25519 signatures that let anyone check a clearance certificate, online or offline.

A certificate carries a *token*: a small binary payload (clearance reference, holder initials, validity,
issue date, key id) followed by its 64-byte Ed25519 signature, base64url-encoded without padding. The QR
code holds ``<base_url>/verify/<token>``; whoever has the public key can check the token without the
database, and the public page uses it to find the live status (revocation is never in the token).

The human-typable *verification code* (``7KQ4-M2XD-9PAY``) is a truncated hash of the token: unguessable
without a signed token, stable for the same token, and short enough to read out over the phone.

Keys rotate: the active private key signs, and every public key that signed certificates still in
circulation stays in the verification mapping. A key id (kid) is the key's fingerprint, so a config can
never pair a key with the wrong id. No Flask import: the CLI and the views share this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "CODE_LENGTH",
    "PRIVATE_KEY_ENV",
    "CertificateClaims",
    "CertificateError",
    "CertificateKeys",
    "GeneratedKeyPair",
    "InvalidCode",
    "KeyConfigurationError",
    "TamperedToken",
    "UnknownKey",
    "VerifiedCertificate",
    "generate_keypair",
    "holder_initials",
    "is_token",
    "key_id",
    "load_public_keys",
    "lookup_code",
    "normalise_code",
    "sign_claims",
    "verification_code",
    "verify_token",
    "verify_url",
]

#: Environment variable that may hold the active private key as PEM text instead of a file.
PRIVATE_KEY_ENV = "SCREENING_CERTIFICATE_PRIVATE_KEY"

_TOKEN_VERSION = 1
#: Domain separation: a signature made for a certificate can never be replayed as anything else.
_SIGNATURE_CONTEXT = b"screening/certificate/v1\x00"
_CODE_CONTEXT = b"screening/certificate-code/v1\x00"
_SIGNATURE_LENGTH = 64
_DATE_EPOCH = date(2000, 1, 1)
_MAX_DAYS = 0xFFFF
#: Generous upper bound checked before decoding, so a hostile URL cannot make us decode megabytes.
_MAX_TOKEN_CHARS = 512
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")

#: Crockford base32: no I, L, O, U, so a code read aloud or typed from paper survives.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_VALUE = {char: value for value, char in enumerate(CROCKFORD)}
_CROCKFORD_VALUE.update({"O": 0, "I": 1, "L": 1})
_CODE_DATA_CHARS = 11  # 55 bits of hash
#: Characters of a verification code without separators: 11 hash characters and a check character.
CODE_LENGTH = _CODE_DATA_CHARS + 1
_CODE_SEPARATORS = re.compile(r"[\s\-–.]")


class CertificateError(ValueError):
    """A certificate or key could not be used; the message is safe to show to whoever checks it."""


class TamperedToken(CertificateError):
    """The token is garbled or its signature does not match its content."""


class UnknownKey(CertificateError):
    """The token names a key id we do not hold: signed by someone else, or by a key no longer trusted."""

    def __init__(self, kid: str) -> None:
        super().__init__(
            f"signed with key {kid!r}, which is not one of the authority's certificate keys "
            "(a foreign or withdrawn key): not a genuine certificate"
        )
        self.kid = kid


class InvalidCode(CertificateError):
    """A typed verification code is malformed or has a typo (the check character does not match)."""


class KeyConfigurationError(CertificateError):
    """A configured key cannot be read or is not an Ed25519 key."""


@dataclass(frozen=True)
class CertificateClaims:
    """What the authority vouches for on a certificate: nothing that is not printed on it."""

    reference: str
    holder_initials: str
    valid_from: date
    valid_until: date
    issue_date: date


@dataclass(frozen=True)
class VerifiedCertificate:
    """The content of a token whose signature checked out. Says nothing about revocation."""

    reference: str
    holder_initials: str
    valid_from: date
    valid_until: date
    issue_date: date
    kid: str
    verification_code: str

    def within_validity(self, on: date) -> bool:
        """Whether ``on`` falls in the printed validity period (the live status may still be revoked)."""
        return self.valid_from <= on <= self.valid_until


@dataclass(frozen=True)
class GeneratedKeyPair:
    kid: str
    private_pem: bytes
    public_pem: bytes


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's fingerprint (8 Crockford characters of SHA-256): derived, so it cannot be misconfigured."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _crockford(hashlib.sha256(raw).digest()[:5], 8)


def generate_keypair() -> GeneratedKeyPair:
    """A fresh signing key as PEM (PKCS#8 private, SubjectPublicKeyInfo public): demo, tests, keygen."""
    private_key = Ed25519PrivateKey.generate()
    public_key = private_key.public_key()
    return GeneratedKeyPair(
        kid=key_id(public_key),
        private_pem=private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        public_pem=public_key.public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        ),
    )


def _as_bytes(pem: bytes | str) -> bytes:
    return pem.encode("ascii") if isinstance(pem, str) else pem


def _load_private(pem: bytes | str, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(_as_bytes(pem), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as error:
        message = f"{source}: not a readable unencrypted PEM private key ({error})"
        raise KeyConfigurationError(message) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigurationError(f"{source}: not an Ed25519 private key")
    return key


def _load_public(pem: bytes | str, source: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(_as_bytes(pem))
    except (ValueError, TypeError, UnicodeEncodeError) as error:
        raise KeyConfigurationError(f"{source}: not a readable PEM public key ({error})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyConfigurationError(f"{source}: not an Ed25519 public key")
    return key


def load_public_keys(pems: Iterable[bytes | str | Path]) -> dict[str, Ed25519PublicKey]:
    """Public keys (PEM text or files) by key id: what an offline checker needs, and nothing secret."""
    keys: dict[str, Ed25519PublicKey] = {}
    for item in pems:
        if isinstance(item, Path):
            try:
                pem: bytes | str = item.read_bytes()
            except OSError as error:
                raise KeyConfigurationError(f"{item}: {error.strerror or error}") from None
            source = str(item)
        else:
            pem, source = item, "public key"
        key = _load_public(pem, source)
        keys[key_id(key)] = key
    return keys


@dataclass(frozen=True)
class CertificateKeys:
    """The active signing key and every public key still trusted for verification (after rotation)."""

    signing_key: Ed25519PrivateKey
    kid: str
    public_keys: Mapping[str, Ed25519PublicKey] = field(repr=False)

    @classmethod
    def from_pem(
        cls,
        private_pem: bytes | str,
        public_pems: Iterable[bytes | str | Path] = (),
    ) -> CertificateKeys:
        """Active key from PEM text; ``public_pems`` are earlier keys whose certificates must still verify."""
        signing_key = _load_private(private_pem, "certificate private key")
        public_key = signing_key.public_key()
        kid = key_id(public_key)
        public_keys = load_public_keys(public_pems)
        public_keys[kid] = public_key
        return cls(signing_key=signing_key, kid=kid, public_keys=public_keys)

    @classmethod
    def from_config(
        cls,
        private_key_file: str | Path | None,
        public_key_files: Iterable[str | Path] = (),
        private_key: str = "",
    ) -> CertificateKeys:
        """Keys as configured: the private key's PEM text (``certificates.private_key``, which the loader
        fills from ``$SCREENING_CERTIFICATE_PRIVATE_KEY``) when given, else ``private_key_file``; the text
        wins so a secret store can inject it."""
        pem_text = private_key.strip()
        if pem_text:
            private_pem: bytes | str = pem_text
        elif private_key_file:
            try:
                private_pem = Path(private_key_file).read_bytes()
            except OSError as error:
                raise KeyConfigurationError(
                    f"certificates.private_key_file {private_key_file}: {error.strerror or error}"
                ) from None
        else:
            raise KeyConfigurationError(
                f"no certificate signing key: set certificates.private_key_file or ${PRIVATE_KEY_ENV}"
            )
        return cls.from_pem(private_pem, [Path(path) for path in public_key_files])

    def sign(self, claims: CertificateClaims) -> str:
        """A token for these claims, signed with the active key."""
        return sign_claims(self.signing_key, self.kid, claims)

    def verify(self, token: str) -> VerifiedCertificate:
        return verify_token(token, self.public_keys)


def holder_initials(full_name: str) -> str:
    """Initials as the public page shows them ("Anna Nowak-Wiśniewska" -> "A.N."), same rule as Person."""
    return "".join(part[0].upper() + "." for part in full_name.split() if part)


def _days(value: date, name: str) -> int:
    days = (value - _DATE_EPOCH).days
    if not 0 <= days <= _MAX_DAYS:
        raise ValueError(f"{name} {value} is outside the dates a certificate can carry (2000 to 2179)")
    return days


def _short_field(value: str, name: str, encoding: str) -> bytes:
    try:
        raw = value.encode(encoding)
    except UnicodeEncodeError:
        raise ValueError(f"{name} {value!r} must be {encoding}") from None
    if not 0 < len(raw) <= 64:
        raise ValueError(f"{name} must be 1 to 64 bytes, got {len(raw)}")
    return bytes([len(raw)]) + raw


def _encode_payload(kid: str, claims: CertificateClaims) -> bytes:
    if claims.valid_until < claims.valid_from:
        raise ValueError("valid_until is before valid_from")
    return (
        bytes([_TOKEN_VERSION])
        + _short_field(kid, "kid", "ascii")
        + _short_field(claims.reference, "reference", "ascii")
        + _short_field(claims.holder_initials, "holder initials", "utf-8")
        + struct.pack(
            ">HHH",
            _days(claims.valid_from, "valid_from"),
            _days(claims.valid_until, "valid_until"),
            _days(claims.issue_date, "issue_date"),
        )
    )


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign_claims(signing_key: Ed25519PrivateKey, kid: str, claims: CertificateClaims) -> str:
    """The canonical token: base64url(payload || Ed25519(context || payload)), no padding.

    Ed25519 is deterministic, so the same claims and key always give the same token (and code).
    """
    payload = _encode_payload(kid, claims)
    return _b64encode(payload + signing_key.sign(_SIGNATURE_CONTEXT + payload))


def verify_url(base_url: str, token: str) -> str:
    """The address in the QR code."""
    return f"{base_url.rstrip('/')}/verify/{token}"


def _tampered(detail: str) -> TamperedToken:
    return TamperedToken(
        f"the verification token is damaged or has been altered ({detail}): not a genuine certificate",
    )


def _decode_token(token: str) -> bytes:
    if not token or len(token) > _MAX_TOKEN_CHARS or not _TOKEN_CHARS.fullmatch(token):
        raise _tampered("not a token")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise _tampered("not base64url") from None
    if _b64encode(raw) != token:
        # Unused trailing bits were set: another spelling of the same bytes. One token, one spelling.
        raise _tampered("not canonical")
    return raw


class _Reader:
    def __init__(self, raw: bytes) -> None:
        self.raw, self.at = raw, 0

    def take(self, count: int) -> bytes:
        if self.at + count > len(self.raw):
            raise _tampered("truncated")
        chunk = self.raw[self.at : self.at + count]
        self.at += count
        return chunk

    def short_field(self, encoding: str) -> str:
        length = self.take(1)[0]
        try:
            return self.take(length).decode(encoding)
        except UnicodeDecodeError:
            raise _tampered("bad text") from None


def verify_token(token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> VerifiedCertificate:
    """Check a token offline. Raises :class:`TamperedToken` or :class:`UnknownKey`. Revocation is
    never in a token: only the live page knows it."""
    token = token.strip()
    raw = _decode_token(token)
    if len(raw) <= _SIGNATURE_LENGTH:
        raise _tampered("too short")
    payload, signature = raw[:-_SIGNATURE_LENGTH], raw[-_SIGNATURE_LENGTH:]
    reader = _Reader(payload)
    if reader.take(1)[0] != _TOKEN_VERSION:
        raise _tampered("unknown format version")
    kid = reader.short_field("ascii")
    reference = reader.short_field("ascii")
    initials = reader.short_field("utf-8")
    days = struct.unpack(">HHH", reader.take(6))
    valid_from, valid_until, issued = (_DATE_EPOCH + timedelta(days=count) for count in days)
    if reader.at != len(payload):
        raise _tampered("trailing data")
    public_key = public_keys.get(kid)
    if public_key is None:
        raise UnknownKey(kid)
    try:
        public_key.verify(signature, _SIGNATURE_CONTEXT + payload)
    except InvalidSignature:
        raise _tampered("signature does not match") from None
    return VerifiedCertificate(
        reference=reference,
        holder_initials=initials,
        valid_from=valid_from,
        valid_until=valid_until,
        issue_date=issued,
        kid=kid,
        verification_code=verification_code(token),
    )


def _crockford(raw: bytes, chars: int) -> str:
    number = int.from_bytes(raw, "big") >> (len(raw) * 8 - chars * 5)
    return "".join(CROCKFORD[(number >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def _check_value(values: Iterable[int]) -> int:
    # Weighted sum modulo the prime 31: catches every single-character typo and swap of neighbours,
    # except between 0 and Z (values 0 and 31).
    return sum((weight + 1) * value for weight, value in enumerate(values)) % 31


def _group(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verification_code(token: str) -> str:
    """The short code printed under the QR: 55 bits of SHA-256(context || token) + a check character.

    Store it (in this grouped form, e.g. ``7KQ4-M2XD-9PAY``) for the ``/verify/<code>`` lookup.
    """
    data = _crockford(hashlib.sha256(_CODE_CONTEXT + token.encode("ascii")).digest()[:7], _CODE_DATA_CHARS)
    check = CROCKFORD[_check_value(_CROCKFORD_VALUE[char] for char in data)]
    return _group(data + check)


def normalise_code(text: str) -> str:
    """A typed code in its stored form: case, hyphens, spaces and O/I/L look-alikes forgiven; typos caught."""
    compact = _CODE_SEPARATORS.sub("", text).upper()
    if len(compact) != CODE_LENGTH or any(char not in _CROCKFORD_VALUE for char in compact):
        raise InvalidCode(f"a verification code has {CODE_LENGTH} letters and digits, like 7KQ4-M2XD-9PAY")
    values = [_CROCKFORD_VALUE[char] for char in compact]
    if _check_value(values[:-1]) != values[-1]:
        raise InvalidCode(
            "this verification code contains a typing error: please check it against the certificate",
        )
    return _group("".join(CROCKFORD[value] for value in values))


def is_token(text: str) -> bool:
    """Whether a ``/verify/<...>`` segment is a full token (from the QR) rather than a typed code."""
    return len(text.strip()) > 2 * CODE_LENGTH


def lookup_code(text: str, public_keys: Mapping[str, Ed25519PublicKey]) -> str:
    """The stored code to look up for whatever ``/verify/<...>`` received: a QR token (signature checked
    first, so a forged token never reaches the database) or a typed code. Raises a :class:`CertificateError`.
    """
    if is_token(text):
        return verify_token(text, public_keys).verification_code
    return normalise_code(text)
