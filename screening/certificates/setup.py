"""The signing keys of the running app: read once at start-up, kept on the app like the other services."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, current_app

from screening.certificates.signing import (
    CertificateKeys,
    KeyConfigurationError,
    generate_keypair,
)
from screening.config import Config, ConfigError

log = logging.getLogger(__name__)

_EXTENSION = "screening.certificate_keys"
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


def init_certificates(app: Flask, config: Config) -> None:
    app.extensions[_EXTENSION] = load_keys(config)


def certificate_keys() -> CertificateKeys | None:
    """The running app's keys, or ``None`` when certificates are not configured."""
    return current_app.extensions.get(_EXTENSION)
