"""The signing keys of the running app: read once at start-up, kept on the app like the other services."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, current_app

from screening.certificates.keyset import PublishedKeySet, parse_periods, publish
from screening.certificates.signing import (
    CertificateKeys,
    KeyConfigurationError,
    generate_keypair,
)
from screening.config import Config, ConfigError

log = logging.getLogger(__name__)

_EXTENSION = "screening.certificate_keys"
_KEY_SET = "screening.certificate_key_set"
#: Where the demo keeps its generated signing key, next to its configuration file.
DEMO_KEY_NAME = Path("keys") / "certificate-signing.pem"


def _demo_key(config: Config) -> CertificateKeys:
    """The demo's key: generated on first run next to ``var/screening.toml`` (so certificates printed
    yesterday still verify today), or in memory when the configuration is not a file (tests)."""
    source = Path(config.source)
    if not source.is_file():
        return CertificateKeys.from_pem(generate_keypair().private_pem)
    path = source.parent / DEMO_KEY_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pair = generate_keypair()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pair.private_pem)
        (path.parent / f"certificate-{pair.kid}.pub.pem").write_bytes(pair.public_pem)
        log.info("demo: generated certificate signing key %s in %s", pair.kid, path)
    return CertificateKeys.from_config(path, config.certificates.public_key_files)


def load_keys(config: Config) -> CertificateKeys | None:
    """The configured keys; ``None`` when none is configured (exports are then refused with a message).
    A configured key that cannot be read stops the start with the setting named."""
    settings = config.certificates
    try:
        if settings.private_key or settings.private_key_file:
            return CertificateKeys.from_config(
                settings.private_key_file or None,
                settings.public_key_files,
                private_key=settings.private_key,
            )
        if config.app.demo:
            return _demo_key(config)
    except KeyConfigurationError as error:
        raise ConfigError(f"certificates: {error}") from None
    return None


def published_keys(keys: CertificateKeys | None, config: Config) -> PublishedKeySet:
    """The key set the app serves: every trusted public key with its configured period (an empty set when
    no key is configured). A period for a key that is not trusted stops the start with the setting named."""
    public_keys = keys.public_keys if keys else {}
    try:
        periods = parse_periods(config.certificates.key_validity, public_keys)
    except ValueError as error:
        raise ConfigError(f"certificates.key_validity: {error}") from None
    return publish(public_keys, periods, keys.kid if keys else None)


def init_certificates(app: Flask, config: Config) -> None:
    keys = load_keys(config)
    app.extensions[_EXTENSION] = keys
    app.extensions[_KEY_SET] = published_keys(keys, config)


def certificate_keys() -> CertificateKeys | None:
    """The running app's keys, or ``None`` when certificates are not configured."""
    return current_app.extensions.get(_EXTENSION)


def published_key_set() -> PublishedKeySet:
    """The running app's key set document (``/.well-known/screening-keys.json``)."""
    return current_app.extensions[_KEY_SET]
