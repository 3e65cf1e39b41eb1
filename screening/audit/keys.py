"""The audit key: an Ed25519 key, kept outside the database, that signs the log's tree heads.

A different key from the certificate key (a leaked certificate key must not let anyone sign a forged
log, and the reverse), read from a file or the environment as the configuration says; ``key_id`` (in
every head) is the key's fingerprint, so keys can rotate: retired public keys stay listed in
``audit.public_key_files`` and the heads they signed keep verifying.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from screening.audit.offline import key_id, load_public_key

log = logging.getLogger(__name__)

#: Where the demo keeps its generated audit key, next to its configuration file.
DEMO_KEY_NAME = Path("keys") / "audit-signing.pem"


class AuditKeyError(ValueError):
    """The configured audit key cannot be used; the message names the setting."""


@dataclass(frozen=True)
class AuditKeys:
    """The key that signs new heads (None on a node that only verifies) and every trusted public key."""

    signing_key: Ed25519PrivateKey | None
    kid: str
    public_keys: Mapping[str, Any] = field(repr=False)


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def from_pem(pem: bytes | None, public_pems: Iterable[tuple[str, bytes]] = ()) -> AuditKeys:
    public_keys: dict[str, Any] = {}
    for source, text in public_pems:
        try:
            key = load_public_key(text)
        except ValueError as error:
            raise AuditKeyError(f"audit.public_key_files {source}: {error}") from None
        public_keys[key_id(key)] = key
    signing: Ed25519PrivateKey | None = None
    kid = ""
    if pem is not None:
        try:
            loaded = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as error:
            raise AuditKeyError(f"audit signing key: not a readable unencrypted PEM private key ({error})") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise AuditKeyError("audit signing key: not an Ed25519 private key")
        signing = loaded
        kid = key_id(signing.public_key())
        public_keys[kid] = signing.public_key()
    return AuditKeys(signing, kid, public_keys)


def _read(path: str, setting: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise AuditKeyError(f"{setting} {path}: {error.strerror or error}") from None


def _demo_key(source: Path) -> bytes:
    path = source.parent / DEMO_KEY_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private_pem(key))
        (path.parent / f"audit-{key_id(key.public_key())}.pub.pem").write_bytes(public_pem(key))
        log.info("demo: generated the audit signing key in %s", path)
    return path.read_bytes()


def load_audit_keys(config: Any) -> AuditKeys:
    """The keys as configured: ``audit.signing_key`` (PEM text, e.g. from the environment) wins over
    ``audit.signing_key_file``; the demo generates one next to its configuration. Without any, heads
    cannot be signed (the sealer fails, naming the setting) but heads signed earlier still verify."""
    settings = config.audit
    publics = [(path, _read(path, "audit.public_key_files")) for path in settings.public_key_files]
    pem: bytes | None = None
    if settings.signing_key.strip():
        pem = settings.signing_key.strip().encode()
    elif settings.signing_key_file:
        pem = _read(settings.signing_key_file, "audit.signing_key_file")
    elif config.app.demo and Path(config.source).is_file():
        pem = _demo_key(Path(config.source))
    keys = from_pem(pem, publics)
    _refuse_the_certificate_key(config, keys)
    return keys


def _refuse_the_certificate_key(config: Any, keys: AuditKeys) -> None:
    certificates = config.certificates
    text = certificates.private_key.strip().encode() if certificates.private_key.strip() else None
    if text is None and certificates.private_key_file and Path(certificates.private_key_file).is_file():
        text = Path(certificates.private_key_file).read_bytes()
    if text is None or keys.signing_key is None:
        return
    try:
        certificate_key = serialization.load_pem_private_key(text, password=None)
    except (ValueError, TypeError):
        return  # the certificates' own check names that problem
    if isinstance(certificate_key, Ed25519PrivateKey) and key_id(certificate_key.public_key()) == keys.kid:
        raise AuditKeyError("audit.signing_key_file: must be a different key from the certificate signing key")
