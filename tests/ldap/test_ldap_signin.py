"""Sign-in against a real slapd: mapping for each role, first match, re-sync, refusals, injection, cost."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ldap3
import pytest

from screening.auth.directory import (
    AccountDisabled,
    Directory,
    DirectoryAccount,
    DirectoryError,
    InvalidCredentials,
    NotMapped,
)
from screening.auth.directory.errors import AMBIGUOUS_USERNAME, EMPTY_PASSWORD, NO_SUCH_USER, WRONG_PASSWORD
from tests.support import slapd as fixture
from tests.support.slapd import SlapdServer, password_for

pytestmark = pytest.mark.nodb  # no database: run once, not again in the PostgreSQL pass

MakeDirectory = Callable[..., Directory]


@pytest.mark.parametrize(
    ("uid", "role", "organisation"),
    [
        ("alice", "requester", fixture.ACME),
        ("hugo", "hr", fixture.ACME),
        ("sam", "requester", fixture.SCHELDT),
        ("zoë", "hr", fixture.SCHELDT),
        ("olga", "officer", None),
        ("adam", "admin", None),
        ("aude", "auditor", None),
    ],
)
def test_each_role_and_organisation_maps(
    directory: Directory, slapd: SlapdServer, uid: str, role: str, organisation: str | None
) -> None:
    account = directory.authenticate(uid, password_for(uid))
    person = next(p for p in fixture.PEOPLE_IN_TREE if p.uid == uid)
    assert account == DirectoryAccount(
        dn=person.dn,
        username=uid,
        display_name=person.cn,
        email=f"{uid}@example.org",
        groups=tuple(fixture.group_dn(name) for name in person.groups),
        role=role,
        organisation_key=organisation,
        server=slapd.url,
    )


def test_non_ascii_name_and_password(directory: Directory) -> None:
    account = directory.authenticate("zoë", "pw-zoë")
    assert account.display_name == "Zoë Núñez-Wiśniewska"
    assert account.dn == "uid=zoë,ou=people,dc=example,dc=org"


def test_first_mapping_in_configuration_order_wins(
    make_directory: MakeDirectory, ldap_settings: dict[str, Any]
) -> None:
    """dual is in acme-requesters and acme-hr: the administrator's order decides, both ways round."""
    assert make_directory().authenticate("dual", "pw-dual").role == "requester"
    reordered = sorted(ldap_settings["role_mappings"], key=lambda m: m["role"] != "hr")
    assert make_directory(role_mappings=reordered).authenticate("dual", "pw-dual").role == "hr"


def _move(slapd: SlapdServer, dn: str, leave: list[str], join: list[str]) -> None:
    with slapd.admin_connection() as admin:
        for group in leave:
            assert admin.modify(fixture.group_dn(group), {"member": [(ldap3.MODIFY_DELETE, [dn])]}), admin.result
        for group in join:
            assert admin.modify(fixture.group_dn(group), {"member": [(ldap3.MODIFY_ADD, [dn])]}), admin.result


def test_group_changes_take_effect_at_the_next_sign_in(directory: Directory, slapd: SlapdServer) -> None:
    mover = next(p for p in fixture.PEOPLE_IN_TREE if p.uid == "mover")
    first = directory.authenticate("mover", mover.password)
    assert (first.role, first.organisation_key) == ("requester", fixture.ACME)
    try:
        _move(slapd, mover.dn, leave=["acme-requesters"], join=["nvo-officers"])
        moved = directory.authenticate("mover", mover.password)
        assert (moved.role, moved.organisation_key) == ("officer", None)

        _move(slapd, mover.dn, leave=["nvo-officers"], join=[])
        with pytest.raises(NotMapped) as caught:
            directory.authenticate("mover", mover.password)
        assert "in no mapped group" in str(caught.value)
    finally:
        with slapd.admin_connection() as admin:
            admin.modify(fixture.group_dn("nvo-officers"), {"member": [(ldap3.MODIFY_DELETE, [mover.dn])]})
            admin.modify(fixture.group_dn("acme-requesters"), {"member": [(ldap3.MODIFY_ADD, [mover.dn])]})


@pytest.mark.parametrize("uid", ["nora", "gus"])
def test_users_in_no_mapped_group_cannot_sign_in(directory: Directory, uid: str) -> None:
    with pytest.raises(NotMapped) as caught:
        directory.authenticate(uid, password_for(uid))
    assert caught.value.user_message.startswith("Your directory account has no access to this application.")


def test_employer_roles_need_an_organisation(make_directory: MakeDirectory) -> None:
    with pytest.raises(NotMapped, match="needs an organisation"):
        make_directory(organisation_mappings=[]).authenticate("alice", "pw-alice")


def test_unknown_user_and_wrong_password_look_the_same_but_log_apart(
    directory: Directory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="screening.auth.ldap")
    with pytest.raises(InvalidCredentials) as unknown:
        directory.authenticate("nobody", "whatever")
    with pytest.raises(InvalidCredentials) as wrong:
        directory.authenticate("alice", "pw-bob")
    assert unknown.value.user_message == wrong.value.user_message == "Unknown user name or wrong password."
    assert (unknown.value.reason, wrong.value.reason) == (NO_SUCH_USER, WRONG_PASSWORD)
    logged = [record.getMessage() for record in caplog.records]
    assert any("'nobody'" in line and "reason: no such user" in line for line in logged)
    assert any("'alice'" in line and "reason: wrong password" in line for line in logged)
    assert not any("pw-bob" in line or "whatever" in line for line in logged), "passwords never reach the log"


@pytest.mark.parametrize("username", ["alice", "   "])
def test_empty_passwords_and_usernames_are_refused_before_any_network_use(
    directory: Directory, monkeypatch: pytest.MonkeyPatch, username: str
) -> None:
    def no_network(*args: object) -> None:
        raise AssertionError("connected to the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    with pytest.raises(InvalidCredentials) as caught:
        directory.authenticate(username, "")
    assert caught.value.reason in (EMPTY_PASSWORD, "invalid username")


@pytest.mark.parametrize(
    "typed",
    ["*", ")(uid=*", "*)(|(uid=*", "alice)(uid=*", "al*", "\\00", "\x00", "alice\x00", "(uid=*)", "\\2a", "zoë*"],
)
def test_injection_strings_never_widen_the_search(directory: Directory, typed: str) -> None:
    """Even with a real user's password, a wildcard or filter fragment finds nobody."""
    with pytest.raises(InvalidCredentials) as caught:
        directory.authenticate(typed, "pw-alice")
    assert caught.value.reason == NO_SUCH_USER


def test_a_filter_finding_two_entries_is_refused(make_directory: MakeDirectory) -> None:
    directory = make_directory(user_filter="(|(uid=%s)(uid=alice))")
    with pytest.raises(InvalidCredentials) as caught:
        directory.authenticate("hugo", "pw-hugo")
    assert caught.value.reason == AMBIGUOUS_USERNAME


def test_disabled_active_directory_accounts_are_refused(make_directory: MakeDirectory) -> None:
    """An AD-like entry in slapd (sAMAccountName, userAccountControl under their AD OIDs)."""
    directory = make_directory(
        active_directory=True,
        user_filter="(sAMAccountName=%s)",
        attributes={"username": "sAMAccountName", "display_name": "displayName"},
    )
    assert directory.authenticate("eric", "pw-eric").username == "eric"
    with pytest.raises(AccountDisabled) as caught:
        directory.authenticate("dora", "pw-dora")
    assert "userAccountControl" in str(caught.value)
    with pytest.raises(AccountDisabled):
        directory.authenticate("dora", "wrong")


def test_direct_bind_with_a_dn_template(make_directory: MakeDirectory) -> None:
    directory = make_directory(bind_dn=None, bind_password=None, bind_template=f"uid=%s,{fixture.PEOPLE}")
    account = directory.authenticate("olga", "pw-olga")
    assert (account.role, account.round_trips) == ("officer", 2)
    with pytest.raises(InvalidCredentials) as caught:
        directory.authenticate("olga", "pw-adam")
    assert caught.value.reason == "wrong password or no such user"
    with pytest.raises(InvalidCredentials):
        directory.authenticate("olga,ou=people", "pw-olga")


def test_direct_bind_with_group_search(make_directory: MakeDirectory) -> None:
    directory = make_directory(
        bind_dn=None,
        bind_password=None,
        bind_template=f"uid=%s,{fixture.PEOPLE}",
        group_lookup="search",
        group_base=fixture.GROUPS,
    )
    assert directory.authenticate("dual", "pw-dual").role == "requester"


def test_group_search_mode_pages_through_groups(make_directory: MakeDirectory, ldap_requests: Any) -> None:
    directory = make_directory(group_lookup="search", group_base=fixture.GROUPS, group_page_size=1)
    account = directory.authenticate("dual", "pw-dual")
    assert set(account.groups) == {fixture.group_dn("acme-requesters"), fixture.group_dn("acme-hr")}
    assert account.role == "requester"
    assert ldap_requests.count("searchRequest") >= 3, "one user search and at least two pages of groups"


def test_round_trips_per_sign_in(make_directory: MakeDirectory, ldap_requests: Any) -> None:
    """The service connection is bound once; each sign-in after that is one search and one bind."""
    directory = make_directory()
    first = directory.authenticate("alice", "pw-alice")
    assert first.round_trips == ldap_requests.round_trips == 3  # service bind, search, user bind
    for uid in ("hugo", "olga", "adam", "zoë"):
        ldap_requests.clear()
        account = directory.authenticate(uid, password_for(uid))
        assert account.round_trips == ldap_requests.round_trips == 2
        assert ldap_requests.types.count("bindRequest") == 1


def test_round_trips_with_group_search(make_directory: MakeDirectory, ldap_requests: Any) -> None:
    directory = make_directory(group_lookup="search", group_base=fixture.GROUPS)
    directory.authenticate("alice", "pw-alice")
    ldap_requests.clear()
    assert directory.authenticate("hugo", "pw-hugo").round_trips == ldap_requests.round_trips == 3


def test_concurrent_sign_ins_share_the_service_connection(directory: Directory, ldap_requests: Any) -> None:
    uids = ["alice", "hugo", "sam", "zoë", "olga", "adam", "aude"] * 6
    with ThreadPoolExecutor(max_workers=8) as pool:
        accounts = list(pool.map(lambda uid: directory.authenticate(uid, password_for(uid)), uids))
    assert [account.username for account in accounts] == uids
    assert ldap_requests.count("bindRequest") == len(uids) + 1, "one service bind for all sign-ins"


def test_a_dropped_service_connection_is_reopened_once(
    directory: Directory, slapd: SlapdServer, caplog: pytest.LogCaptureFixture
) -> None:
    directory.authenticate("alice", "pw-alice")
    slapd.restart()  # drops every connection, as an idle timeout or a directory restart does
    caplog.set_level(logging.INFO, logger="screening.auth.ldap")
    assert directory.authenticate("hugo", "pw-hugo").role == "hr"
    assert any("reconnecting" in record.getMessage() for record in caplog.records)


def test_inspect_shows_what_a_sign_in_would_find_without_a_password(
    directory: Directory, slapd: SlapdServer, ldap_requests: Any
) -> None:
    found = directory.inspect("hugo")
    assert (found.server, found.dn) == (slapd.url, "uid=hugo,ou=people,dc=example,dc=org")
    assert (found.role, found.organisation_key, found.problem) == ("hr", fixture.ACME, None)
    assert found.groups == (fixture.group_dn("acme-hr"),)
    assert ldap_requests.count("bindRequest") == 1, "only the service account binds"
    assert dict(found.rows())["sign-in"] == "allowed"


@pytest.mark.parametrize(
    ("uid", "problem"),
    [("nobody", "no such user"), ("nora", "in no mapped group"), ("*", "no such user")],
)
def test_inspect_reports_problems(directory: Directory, uid: str, problem: str) -> None:
    found = directory.inspect(uid)
    assert found.problem is not None
    assert found.problem.startswith(problem)
    assert dict(found.rows())["sign-in"].startswith("refused: ")


def test_inspect_reports_disabled_accounts(make_directory: MakeDirectory) -> None:
    directory = make_directory(active_directory=True, user_filter="(sAMAccountName=%s)")
    assert directory.inspect("dora").problem == "account disabled (userAccountControl bit 2)"


def test_inspect_without_a_service_account_says_it_searched_anonymously(make_directory: MakeDirectory) -> None:
    """The test slapd, like most directories, lets anonymous sessions see nothing."""
    directory = make_directory(bind_dn=None, bind_password=None, bind_template=f"uid=%s,{fixture.PEOPLE}")
    with pytest.raises(DirectoryError, match="noSuchObject") as caught:
        directory.inspect("alice")
    assert "searched anonymously" in str(caught.value)
