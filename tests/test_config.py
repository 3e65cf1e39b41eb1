from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from screening.config import ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"

pytestmark = pytest.mark.nodb


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_key_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"app\.secret_kye: unknown setting"):
        parse_config({"app": {"secret_kye": "x"}}, env={})


def test_unknown_section_is_named():
    with pytest.raises(ConfigError, match="mail_server: unknown section"):
        parse_config({"mail_server": {}}, env={})


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match=r"deadlines\.review_days: expected int"):
        parse_config({"deadlines": {"review_days": "soon"}}, env={})


def test_missing_secret_is_named(tmp_path):
    path = _write(tmp_path, '[database]\nurl = "sqlite://"\n')
    with pytest.raises(ConfigError, match=r"app\.secret_key: required setting is missing"):
        load_config(path, env={})


def test_secrets_come_from_the_environment(tmp_path):
    from cryptography.fernet import Fernet

    path = _write(tmp_path, '[database]\nurl = "sqlite://"\n')
    key = Fernet.generate_key().decode()
    env = {"SCREENING_SECRET_KEY": "s3cret", "SCREENING_IDENTIFIER_KEYS": key, "SCREENING_LOOKUP_KEY": "k"}
    config = load_config(path, env=env)
    assert config.app.secret_key == "s3cret"
    assert config.security.identifier_keys == (key,)


def test_bad_fernet_key_is_named(tmp_path):
    env = {"SCREENING_SECRET_KEY": "s", "SCREENING_IDENTIFIER_KEYS": "short", "SCREENING_LOOKUP_KEY": "k"}
    with pytest.raises(ConfigError, match=r"identifier_keys\[0\]: not a Fernet key"):
        load_config(_write(tmp_path, '[database]\nurl = "sqlite://"\n'), env=env)


def _documented_settings() -> dict[tuple[str, str], tuple[str, str]]:
    """(section, key) -> (value as written, its comment) for every setting of config.example.toml, commented
    out (the optional [ldap] part) or not. Keys under one comment share it; the keys of a list of tables
    ([[ldap.role_mappings]]) share the comment above the first table."""
    settings: dict[tuple[str, str], tuple[str, str]] = {}
    section, comment, table_comment, previous_was_key = "", [], "", False
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        header = re.fullmatch(r"#?\[(\[?)([\w.]+)\]\]?", line)
        setting = re.fullmatch(r"#? ?(\w+) = (.+)", line)
        if header:
            table_comment = " ".join(comment) if header.group(1) else ""
            section, comment, previous_was_key = header.group(2), [], False
        elif setting and (not line.startswith("#") or section.startswith("ldap")):
            said = " ".join(comment) or table_comment
            settings.setdefault((section, setting.group(1)), (setting.group(2), said))
            previous_was_key = True
        elif line.startswith("#"):
            comment = [] if previous_was_key else comment
            comment.append(line.lstrip("# "))
            previous_was_key = False
    return settings


def _known_settings() -> dict[tuple[str, str], Any]:
    """(section, key) -> default, from the dataclasses the loader fills."""
    from screening.config import _SECTIONS, APPEAL_BODY_ADDRESS, APPEAL_BODY_NAME, JOB_SCHEDULES
    from screening.config.ldap import AttributeNames, LdapConfig, OrganisationMapping, RoleMapping

    def defaults(cls: type) -> dict[str, Any]:
        return {
            f.name: f.default
            if f.default is not dataclasses.MISSING
            else f.default_factory()
            if f.default_factory is not dataclasses.MISSING
            else REQUIRED
            for f in dataclasses.fields(cls)
        }

    known = {(name, key): value for name, cls in _SECTIONS.items() for key, value in defaults(cls).items()}
    del known["scheduler", "schedules"]
    known |= {("scheduler.schedules", job): schedule for job, schedule in JOB_SCHEDULES.items()}
    del known["appeal", "name"], known["appeal", "address"]
    known |= {("appeal.name", language): text for language, text in APPEAL_BODY_NAME.items()}
    known |= {("appeal.address", language): text for language, text in APPEAL_BODY_ADDRESS.items()}
    tables = {
        "ldap": LdapConfig,
        "ldap.attributes": AttributeNames,
        "ldap.role_mappings": RoleMapping,
        "ldap.organisation_mappings": OrganisationMapping,
    }
    for name, cls in tables.items():
        known |= {(name, key): value for key, value in defaults(cls).items()}
    del known["ldap", "attributes"], known["ldap", "role_mappings"], known["ldap", "organisation_mappings"]
    return known


REQUIRED = object()


def test_example_file_documents_every_setting_and_no_other():
    """config.example.toml and the dataclasses list the same keys; the file itself loads."""
    assert set(_documented_settings()) == set(_known_settings())
    parse_config(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")), env={})


def test_example_file_gives_each_setting_a_reason_and_its_default():
    """Each setting has a comment; the value shown is the default unless the comment names another one."""
    known = _known_settings()
    for (section, key), (written, comment) in _documented_settings().items():
        assert comment, f"{section}.{key} has no comment saying why"
        value = tomllib.loads(f"v = {written}")["v"]
        default = known[section, key]
        default = list(default) if isinstance(default, tuple) else default
        if "Required" in comment or "Default" in comment or default is REQUIRED:
            continue
        assert value == default, f"{section}.{key}: the file shows {value!r}, the default is {default!r}"


def test_old_schedule_keys_name_their_new_place():
    with pytest.raises(
        ConfigError, match=r"scheduler\.weekly_report: unknown setting \(now in \[scheduler\.schedules\]\)"
    ):
        parse_config({"scheduler": {"weekly_report": "0 6 * * mon"}}, env={})


def test_a_schedule_for_an_unknown_job_fails_naming_it():
    with pytest.raises(
        ConfigError, match=r"scheduler\.schedules\.weekly_reprot: unknown job; known jobs: deliver_mail,"
    ):
        parse_config({"scheduler": {"schedules": {"weekly_reprot": "0 6 * * mon"}}}, env={})
    with pytest.raises(ConfigError, match=r"scheduler\.schedules\.weekly_report: expected str"):
        parse_config({"scheduler": {"schedules": {"weekly_report": 6}}}, env={})


def test_schedules_left_out_keep_their_default_and_empty_switches_off():
    config = parse_config({"scheduler": {"schedules": {"weekly_report": "", "deliver_mail": "*/5 * * * *"}}}, env={})
    assert config.scheduler.schedule("weekly_report") == ""
    assert config.scheduler.schedule("deliver_mail") == "*/5 * * * *"
    assert config.scheduler.schedule("monthly_reports") == "0 5 1 * *"
    with pytest.raises(TypeError):
        config.scheduler.schedules["deliver_mail"] = "* * * * *"


def test_ldap_is_a_typed_section_read_with_the_loaders_environment():
    from screening.config.ldap import LdapConfig

    table = {
        "servers": ["ldap://127.0.0.1:3890"],
        "user_base": "ou=people,dc=example,dc=org",
        "bind_dn": "cn=svc,dc=example,dc=org",
        "role_mappings": [{"group": "cn=officers,dc=example,dc=org", "role": "officer"}],
    }
    config = parse_config({"ldap": table}, env={"SCREENING_LDAP_BIND_PASSWORD": "from-env"})
    assert isinstance(config.ldap, LdapConfig) and config.ldap.bind_password == "from-env"
    assert parse_config({}, env={}).ldap is None
    with pytest.raises(ConfigError, match=r"ldap\.bind_password: required with bind_dn"):
        parse_config({"ldap": table}, env={})
    with pytest.raises(ConfigError, match=r"ldap\.servrs: unknown setting"):
        parse_config({"ldap": {**table, "servrs": []}}, env={"SCREENING_LDAP_BIND_PASSWORD": "x"})
