"""The ``[ldap]`` table: defaults, and every mistake refused at start with the key named."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from screening.auth.directory import AttributeNames, LdapConfig, OrganisationMapping, RoleMapping
from screening.config import ConfigError

pytestmark = pytest.mark.nodb  # no database: run once, not again in the PostgreSQL pass

GROUP = "cn=acme-requesters,ou=groups,dc=example,dc=org"
EXAMPLE = Path(__file__).parents[2] / "config.example.toml"


def minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "servers": ["ldap://dc1.example.org"],
        "user_base": "ou=people,dc=example,dc=org",
        "bind_dn": "cn=svc,dc=example,dc=org",
        "bind_password": "file-secret",
        "role_mappings": [{"group": GROUP, "role": "requester"}],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_defaults_are_safe_and_documented() -> None:
    config = LdapConfig.from_mapping(minimal(), env={})
    assert config.verify_tls is True
    assert config.tls_min_version == "1.2"
    assert (config.connect_timeout, config.receive_timeout) == (3.0, 5.0)
    assert config.user_filter == "(uid=%s)"
    assert config.group_lookup == "member_of"
    assert config.attributes.member_of == "memberOf"
    assert config.role_mappings == (RoleMapping(GROUP, "requester"),)
    assert config.organisation_mappings == ()
    assert config.direct_bind is False
    assert "file-secret" not in repr(config)


def documented_ldap_table() -> str:
    """The ``[ldap]`` part of config.example.toml with its settings uncommented, as an administrator
    turns it on: settings are commented "#key", explanations "# text"."""
    text = EXAMPLE.read_text(encoding="utf-8")
    block = text[text.index("\n#[ldap]\n") :]
    return "\n".join(
        line[1:] if line.startswith("#") and line[1:2] not in (" ", "#", "") else line for line in block.splitlines()
    )


def test_the_documented_example_parses() -> None:
    """config.example.toml's [ldap] is what administrators copy: it must stay valid once uncommented."""
    data = tomllib.loads(documented_ldap_table())["ldap"]
    config = LdapConfig.from_mapping(data, env={"SCREENING_LDAP_BIND_PASSWORD": "from-env"})
    assert config.bind_password == "from-env"
    assert config.organisation_mappings[0] == OrganisationMapping(config.organisation_mappings[0].group, "0202.239.951")
    assert config.local_accounts == "admins"


def test_every_ldap_setting_is_documented() -> None:
    text = documented_ldap_table()
    for field in (*fields(LdapConfig), *fields(AttributeNames)):
        spellings = (f"\n{field.name} =", f"# {field.name} =", f"[ldap.{field.name}]", f"[[ldap.{field.name}]]")
        assert any(spelling in text for spelling in spellings), f"ldap.{field.name} is not documented"


def test_password_from_the_environment_wins() -> None:
    config = LdapConfig.from_mapping(minimal(), env={"SCREENING_LDAP_BIND_PASSWORD": "env-secret"})
    assert config.bind_password == "env-secret"
    config = LdapConfig.from_mapping(
        minimal(bind_password=None, bind_password_env="CORP_LDAP_PW"), env={"CORP_LDAP_PW": "corp"}
    )
    assert config.bind_password == "corp"


def test_direct_bind_needs_no_service_account() -> None:
    config = LdapConfig.from_mapping(
        minimal(bind_dn=None, bind_password=None, bind_template="CORP\\%s", user_filter="(sAMAccountName=%s)"),
        env={},
    )
    assert config.direct_bind
    assert config.bind_dn is None


def test_nested_mode_defaults_to_the_in_chain_rule() -> None:
    config = LdapConfig.from_mapping(minimal(group_lookup="ad_nested", group_base="dc=example,dc=org"), env={})
    assert config.effective_group_filter == "(member:1.2.840.113556.1.4.1941:=%s)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (minimal(colour="blue"), "ldap.colour: unknown setting"),
        (minimal(attributes={"phone": "tel"}), "ldap.attributes.phone: unknown setting"),
        (
            minimal(role_mappings=[{"group": GROUP, "role": "hr", "note": "x"}]),
            "ldap.role_mappings[0].note: unknown setting",
        ),
        (minimal(servers=None), "ldap.servers: required setting is missing"),
        (minimal(user_base=None), "ldap.user_base: required setting is missing"),
        (minimal(servers="ldap://dc1"), "ldap.servers: expected a non-empty list"),
        (minimal(servers=[]), "ldap.servers: expected a non-empty list"),
        (minimal(servers=["http://dc1"]), "ldap.servers[0]: expected ldap://host[:port]"),
        (minimal(servers=["ldap://dc1", "ldap://dc2:99999"]), "ldap.servers[1]: expected ldap://"),
        (minimal(servers=["ldap:///dc=x"]), "ldap.servers[0]: expected ldap://"),
        (minimal(user_base="people"), "ldap.user_base: not a valid DN"),
        (minimal(start_tls="yes"), "ldap.start_tls: expected true or false"),
        (minimal(connect_timeout="3"), "ldap.connect_timeout: expected a number of seconds"),
        (minimal(receive_timeout=True), "ldap.receive_timeout: expected a number of seconds"),
        (minimal(receive_timeout=0), "ldap.receive_timeout: expected between 0 and 300"),
        (minimal(tls_min_version=1.2), 'ldap.tls_min_version: expected "1.2" or "1.3"'),
        (minimal(ca_file="/nonexistent/ca.pem"), "ldap.ca_file: no such file"),
        (minimal(user_filter="(uid=alice)"), "ldap.user_filter: must contain %s"),
        (minimal(user_filter="uid=%s"), "ldap.user_filter: expected an LDAP filter in parentheses"),
        (minimal(bind_template="uid=alice"), "ldap.bind_template: must contain %s"),
        (minimal(bind_password=None), "ldap.bind_password: required with bind_dn (or set $SCREENING_LDAP_BIND"),
        (minimal(bind_dn=None), "ldap.bind_password: set without ldap.bind_dn"),
        (minimal(bind_dn=None, bind_password=None), "ldap.bind_dn: required"),
        (minimal(group_lookup="nested"), "ldap.group_lookup: expected one of member_of, search, ad_nested"),
        (minimal(group_lookup="search"), 'ldap.group_base: required when group_lookup = "search"'),
        (minimal(group_page_size=0), "ldap.group_page_size: expected a whole number"),
        (minimal(local_accounts="everyone"), 'ldap.local_accounts: expected "admins" or "all"'),
        (minimal(role_mappings=None), "ldap.role_mappings: at least one"),
        (minimal(role_mappings=[]), "ldap.role_mappings: at least one"),
        (minimal(role_mappings=[{"group": GROUP}]), "ldap.role_mappings[0].role: required setting is missing"),
        (minimal(role_mappings=[{"group": GROUP, "role": "boss"}]), "ldap.role_mappings[0].role: expected one of"),
        (minimal(role_mappings=[{"group": "acme", "role": "hr"}]), "ldap.role_mappings[0].group: not a valid DN"),
        (
            minimal(organisation_mappings=[{"group": GROUP, "organisation": 202239951}]),
            "ldap.organisation_mappings[0].organisation: expected a string: quote it",
        ),
        (minimal(attributes={"email": 3}), "ldap.attributes.email: expected a string"),
    ],
)
def test_mistakes_name_the_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        LdapConfig.from_mapping(data, env={})
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)
