"""The audit key lives outside the database, is not the certificate key, and can be made by the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from screening.app import create_app
from screening.audit.keys import load_audit_keys
from screening.cli import main
from screening.config import ConfigError, make_config
from tests.conftest import AUDIT_KEY

pytestmark = pytest.mark.nodb


def test_the_certificate_key_is_refused_as_the_audit_key() -> None:
    config = make_config(audit={"signing_key": AUDIT_KEY.decode()}, certificates={"private_key": AUDIT_KEY.decode()})
    with pytest.raises(ConfigError, match="different key from the certificate signing key"):
        create_app(config)


def test_keygen_writes_a_key_the_configuration_reads(tmp_path) -> None:
    result = CliRunner().invoke(main, ["audit", "keygen", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    private = next(p for p in tmp_path.iterdir() if not p.name.endswith(".pub.pem"))
    assert private.stat().st_mode & 0o777 == 0o600
    keys = load_audit_keys(make_config(audit={"signing_key_file": str(private)}))
    assert private.name == f"audit-{keys.kid}.pem" and (tmp_path / f"audit-{keys.kid}.pub.pem").exists()


def test_an_unreadable_key_file_stops_the_start_with_the_setting_named(tmp_path) -> None:
    with pytest.raises(ConfigError, match="audit.signing_key_file"):
        create_app(make_config(audit={"signing_key_file": str(tmp_path / "missing.pem")}))
