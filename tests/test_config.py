from __future__ import annotations

from pathlib import Path

import pytest

from screening.config import ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"

pytestmark = pytest.mark.nodb


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_key_is_named(tmp_path):  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=r"app\.secret_kye: unknown setting"):
        parse_config({"app": {"secret_kye": "x"}}, env={})


def test_unknown_section_is_named():
    with pytest.raises(ConfigError, match="mail_server: unknown section"):
        parse_config({"mail_server": {}}, env={})


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match=r"deadlines\.review_days: expected int"):
        parse_config({"deadlines": {"review_days": "soon"}}, env={})


def test_missing_secret_is_named(tmp_path):  # type: ignore[no-untyped-def]
    path = _write(tmp_path, '[database]\nurl = "sqlite://"\n')
    with pytest.raises(ConfigError, match=r"app\.secret_key: required setting is missing"):
        load_config(path, env={})


def test_secrets_come_from_the_environment(tmp_path):  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    path = _write(tmp_path, '[database]\nurl = "sqlite://"\n')
    key = Fernet.generate_key().decode()
    env = {"SCREENING_SECRET_KEY": "s3cret", "SCREENING_IDENTIFIER_KEYS": key, "SCREENING_LOOKUP_KEY": "k"}
    config = load_config(path, env=env)
    assert config.app.secret_key == "s3cret"
    assert config.security.identifier_keys == (key,)


def test_bad_fernet_key_is_named(tmp_path):  # type: ignore[no-untyped-def]
    env = {"SCREENING_SECRET_KEY": "s", "SCREENING_IDENTIFIER_KEYS": "short", "SCREENING_LOOKUP_KEY": "k"}
    with pytest.raises(ConfigError, match=r"identifier_keys\[0\]: not a Fernet key"):
        load_config(_write(tmp_path, '[database]\nurl = "sqlite://"\n'), env=env)


def test_example_file_documents_every_setting():
    """Every key of every section appears in config.example.toml, and the file itself loads."""
    import dataclasses
    import tomllib

    from screening.config import _SECTIONS

    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    text = EXAMPLE.read_text(encoding="utf-8")
    for section, cls in _SECTIONS.items():
        assert f"[{section}]" in text, section
        for field in dataclasses.fields(cls):
            assert f"{field.name} =" in text, f"{section}.{field.name} is not documented"
    parse_config(data, env={})
