"""The rules without a network: escaping, bind names, Active Directory flags and diagnostics, mapping.

The Active Directory parts (userAccountControl, the in-chain matching rule, bind sub-codes) cannot run
on slapd, so they are checked here on the data AD sends.
"""

from __future__ import annotations

import pytest
from ldap3.operation.search import parse_filter
from ldap3.utils.dn import parse_dn

from screening.auth.directory import AccountDisabled, DirectoryError, InvalidCredentials, LdapConfig, RoleMapping
from screening.auth.directory.errors import INVALID_USERNAME, NO_SUCH_USER, WRONG_PASSWORD
from screening.auth.directory.mapping import (
    Entry,
    account_disabled,
    bind_name,
    bind_refusal,
    clean_username,
    first_match,
    group_filter,
    mapping_problem,
    normalise_dn,
    user_filter,
)

pytestmark = pytest.mark.nodb  # no database: run once, not again in the PostgreSQL pass

AD_USER = "CN=Smith\\, John (ACME),OU=Port Staff,DC=corp,DC=example"


def ad_config(**changes: object) -> LdapConfig:
    return LdapConfig.from_mapping(
        {
            "servers": ["ldaps://dc1.corp.example"],
            "user_base": "DC=corp,DC=example",
            "user_filter": "(sAMAccountName=%s)",
            "bind_template": "%s@corp.example",
            "group_lookup": "ad_nested",
            "group_base": "OU=Groups,DC=corp,DC=example",
            "active_directory": True,
            "role_mappings": [{"group": "CN=Screening Requesters,OU=Groups,DC=corp,DC=example", "role": "requester"}],
            **changes,
        },
        env={},
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("alice", "(uid=alice)"),
        ("*", "(uid=\\2a)"),
        (")(uid=*", "(uid=\\29\\28uid=\\2a)"),
        ("*)(|(uid=*", "(uid=\\2a\\29\\28|\\28uid=\\2a)"),
        ("\\00", "(uid=\\5c00)"),
        ("a\x00b", "(uid=a\\00b)"),
        ("zoë*", "(uid=zoë\\2a)"),
    ],
)
def test_user_filter_escapes_every_special_character(typed: str, expected: str) -> None:
    built = user_filter("(uid=%s)", typed)
    assert built == expected
    tree = parse_filter(built, None, auto_escape=True, auto_encode=True, validator=None, check_names=False)
    assert len(tree.elements) == 1, "one equality match, never a wider filter"


def test_ad_nested_filter_uses_the_in_chain_rule_on_the_escaped_dn() -> None:
    built = group_filter(ad_config(), AD_USER)
    assert built == "(member:1.2.840.113556.1.4.1941:=CN=Smith\\5c, John \\28ACME\\29,OU=Port Staff,DC=corp,DC=example)"
    parse_filter(built, None, auto_escape=True, auto_encode=True, validator=None, check_names=False)


def test_group_filter_of_the_search_mode() -> None:
    config = ad_config(group_lookup="search", group_filter="(&(objectClass=groupOfNames)(member=%s))")
    assert group_filter(config, "uid=a*,ou=people") == "(&(objectClass=groupOfNames)(member=uid=a\\2a,ou=people))"


def test_dn_template_escapes_the_username_as_an_rdn_value() -> None:
    dn = bind_name("uid=%s,ou=people,dc=example,dc=org", "alice,ou=admins")
    assert dn == "uid=alice\\,ou\\=admins,ou=people,dc=example,dc=org"
    assert parse_dn(dn)[0] == ("uid", "alice\\,ou\\=admins", ",")
    assert len(parse_dn(dn)) == 4, "the username stays inside the first RDN"


@pytest.mark.parametrize("typed", ["bob@evil.example", "OTHER\\bob", "bob,x", "bob*", "bob\nx"])
@pytest.mark.parametrize("template", ["%s@corp.example", "CORP\\%s"])
def test_account_name_templates_refuse_what_no_account_name_holds(template: str, typed: str) -> None:
    with pytest.raises(InvalidCredentials) as caught:
        bind_name(template, typed)
    assert caught.value.reason == INVALID_USERNAME


def test_account_name_templates() -> None:
    assert bind_name("%s@corp.example", "jdoe") == "jdoe@corp.example"
    assert bind_name("CORP\\%s", "jdoe") == "CORP\\jdoe"


@pytest.mark.parametrize("typed", ["", "   ", "x" * 257])
def test_usernames_that_cannot_be(typed: str) -> None:
    with pytest.raises(InvalidCredentials) as caught:
        clean_username(typed)
    assert caught.value.reason == INVALID_USERNAME
    assert caught.value.user_message == "Unknown user name or wrong password."


def test_usernames_are_trimmed() -> None:
    assert clean_username("  alice ") == "alice"


@pytest.mark.parametrize(("flags", "disabled"), [("512", False), ("514", True), ("66048", False), ("66050", True)])
def test_user_account_control_bit_2_means_disabled(flags: str, disabled: bool) -> None:
    entry = Entry.from_response(
        {"dn": AD_USER, "raw_attributes": {"userAccountControl": [flags.encode()], "sAMAccountName": [b"jsmith"]}}
    )
    assert account_disabled(entry) is disabled


@pytest.mark.parametrize("raw", [{}, {"userAccountControl": [b"n/a"]}])
def test_unreadable_user_account_control_is_a_configuration_error(raw: dict[str, list[bytes]]) -> None:
    with pytest.raises(DirectoryError, match="userAccountControl"):
        account_disabled(Entry.from_response({"dn": AD_USER, "raw_attributes": raw}))


def test_entries_ignore_attribute_case_and_decode_utf8() -> None:
    entry = Entry.from_response({"dn": "uid=z", "raw_attributes": {"CN": ["Zoë".encode()], "mail": []}})
    assert entry.first("cn") == "Zoë"
    assert entry.first("mail") is None
    assert entry.values("memberOf") == ()


AD_MESSAGE = "80090308: LdapErr: DSID-0C090447, comment: AcceptSecurityContext error, data {}, v3839"


@pytest.mark.parametrize(
    ("data", "kind", "reason"),
    [
        ("52e", InvalidCredentials, WRONG_PASSWORD),
        ("525", InvalidCredentials, NO_SUCH_USER),
        ("533", AccountDisabled, None),
        ("775", AccountDisabled, None),
        (None, InvalidCredentials, "fallback"),
    ],
)
def test_active_directory_bind_diagnostics(data: str | None, kind: type, reason: str | None) -> None:
    message = AD_MESSAGE.format(data) if data else ""
    result = {"result": 49, "description": "invalidCredentials", "message": message}
    error = bind_refusal(result, "jdoe@corp.example", server="ldaps://dc1", unknown_reason="fallback")
    assert type(error) is kind
    if reason:
        assert error.reason == reason
    assert error.server == "ldaps://dc1"


def test_other_bind_refusals_are_directory_errors() -> None:
    result = {"result": 53, "description": "unwillingToPerform", "message": "unauthenticated bind"}
    error = bind_refusal(result, "uid=a", server="ldap://x", unknown_reason="fallback")
    assert type(error) is DirectoryError
    assert "unwillingToPerform (53)" in str(error)


def test_dns_compare_whatever_the_spelling() -> None:
    assert normalise_dn("CN=Acme Requesters , OU=Groups,DC=Example,DC=org") == normalise_dn(
        "cn=acme requesters,ou=groups,dc=example,dc=org"
    )
    assert normalise_dn("cn=Smith\\, John,dc=x") == normalise_dn("cn=smith\\2c john,dc=x")
    assert normalise_dn("cn=Zoë,dc=x") == normalise_dn("cn=zo\\c3\\ab,dc=x")


def test_first_match_follows_the_configuration_order_not_the_directory_order() -> None:
    mappings = (RoleMapping("cn=b,dc=x", "hr"), RoleMapping("cn=a,dc=x", "requester"))
    assert first_match(["CN=A,DC=X", "cn=b, dc=x"], mappings) == mappings[0]
    assert first_match(["cn=a,dc=x"], mappings) == mappings[1]
    assert first_match(["cn=c,dc=x"], mappings) is None


def test_mapping_problems() -> None:
    assert mapping_problem("officer", None, ["cn=o"]) is None
    assert mapping_problem("requester", "0202.239.951", ["cn=r"]) is None
    assert "needs an organisation" in (mapping_problem("hr", None, ["cn=h"]) or "")
    assert "in no mapped group" in (mapping_problem(None, None, []) or "")
