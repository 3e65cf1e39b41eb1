"""Directory sign-in through the application: the sign-in page, the account it creates and re-syncs,
break-glass local accounts, the operator's `screening ldap test` and the admin's look-up page.

Everything goes through the Flask test client (CSRF included) against the session's real slapd; the
tests that change the directory put it back as they found it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ldap3
import pytest
from babel.support import Translations
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import screening
import screening.auth.operations
from screening.actors import Actor
from screening.app import create_app
from screening.audit.models import AuditEntry
from screening.auth.directory import DirectoryError
from screening.auth.ldap import DirectoryHolder, close_directory, directory_config
from screening.auth.models import User
from screening.cli import main
from screening.config import ConfigError, make_config
from screening.db import db
from screening.organisations.operations import save_organisation
from screening.people.identifiers import make_enterprise_number
from tests.conftest import PASSWORD, Factory, csrf_token, fresh, sign_in
from tests.ldap.conftest import ROLE_MAPPINGS, RequestLog, SocketLog
from tests.support import slapd as fixture
from tests.support.slapd import BlackHole, SlapdServer, password_for, refused_url

WRONG = "Unknown user name or wrong password."
UNREACHABLE = "The directory cannot be reached at the moment. Please try again in a few minutes."
NOT_MAPPED = "Your directory account has no access to this application."
TLS_FAILED = "The secure connection to the directory failed. Please tell your administrator."
MakeLdapApp = Callable[..., Flask]


@pytest.fixture
def organisations(app: Flask) -> dict[str, Any]:
    """The two employers of the test tree: ACME mapped by enterprise number, Scheldt by code."""
    actor = Actor(label="test", role="admin")
    acme = save_organisation(actor, name="Acme Terminals", code="acme", enterprise_number=fixture.ACME)
    scheldt = save_organisation(
        actor, name="Scheldt Stevedoring", code=fixture.SCHELDT, enterprise_number=make_enterprise_number(4242)
    )
    db.session.commit()
    return {fixture.ACME: acme, fixture.SCHELDT: scheldt}


@pytest.fixture
def make_ldap_app(
    make_app: Callable[..., Flask], ldap_settings: dict[str, Any], organisations: dict[str, Any]
) -> Iterator[MakeLdapApp]:
    """``make_ldap_app(**ldap_overrides)``: an app whose ``[ldap]`` is the test tree's (None drops a key)."""
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        table = {key: value for key, value in {**ldap_settings, **overrides}.items() if value is not None}
        application = make_app(ldap=table)
        built.append(application)
        return application

    yield build
    for application in built:
        close_directory(application)


@pytest.fixture
def ldap_app(make_ldap_app: MakeLdapApp) -> Flask:
    return make_ldap_app()


def attempt(client: FlaskClient, username: str, password: str) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_token(page.text), "username": username, "password": password})


def signs_in(web: Flask, username: str, password: str | None = None) -> FlaskClient:
    """A new browser signs in; the home page then names the person."""
    client = web.test_client()
    response = attempt(client, username, password_for(username) if password is None else password)
    assert response.status_code == 302, response.text[:2000]
    return client


def account(username: str) -> User | None:
    fresh()
    return db.session.scalar(select(User).where(User.username == username))


@contextmanager
def moved(slapd: SlapdServer, uid: str, leave: list[str], join: list[str]) -> Iterator[None]:
    """Change ``uid``'s groups as the directory's administrator would, and undo it afterwards."""
    dn = next(p.dn for p in fixture.PEOPLE_IN_TREE if p.uid == uid)

    def apply(out: list[str], into: list[str]) -> None:
        with slapd.admin_connection() as admin:
            for group in out:
                assert admin.modify(fixture.group_dn(group), {"member": [(ldap3.MODIFY_DELETE, [dn])]}), admin.result
            for group in into:
                assert admin.modify(fixture.group_dn(group), {"member": [(ldap3.MODIFY_ADD, [dn])]}), admin.result

    apply(leave, join)
    try:
        yield
    finally:
        apply(join, leave)


# -- sign-in and mapping -----------------------------------------------------------------------
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
def test_each_role_signs_in_and_is_created_from_the_directory(
    ldap_app: Flask, organisations: dict[str, Any], uid: str, role: str, organisation: str | None
) -> None:
    client = signs_in(ldap_app, uid)
    person = next(p for p in fixture.PEOPLE_IN_TREE if p.uid == uid)
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200
    assert person.cn in home.text
    if organisation is not None:
        assert organisations[organisation].name in home.text
    user = account(uid)
    assert user is not None
    assert (user.source, user.role, user.password_hash) == ("directory", role, None)
    assert user.organisation_id == (organisations[organisation].id if organisation else None)
    assert (user.display_name, user.email) == (person.cn, f"{uid}@example.org")
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "user", AuditEntry.object_id == user.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create_user", "sign_in"]


def test_first_mapping_in_configuration_order_wins(make_ldap_app: MakeLdapApp) -> None:
    """dual is in acme-requesters and acme-hr: the administrator's order decides, both ways round."""
    signs_in(make_ldap_app(), "dual")
    assert account("dual").role == "requester"
    reordered = sorted((dict(m) for m in ROLE_MAPPINGS), key=lambda m: m["role"] != "hr")
    signs_in(make_ldap_app(role_mappings=reordered), "dual")
    assert account("dual").role == "hr"


def test_a_group_change_in_the_directory_takes_effect_at_the_next_sign_in(
    ldap_app: Flask, slapd: SlapdServer, organisations: dict[str, Any]
) -> None:
    as_requester = signs_in(ldap_app, "mover")
    before = account("mover")
    assert (before.role, before.organisation_id) == ("requester", organisations[fixture.ACME].id)
    with moved(slapd, "mover", leave=["acme-requesters"], join=["scheldt-hr"]):
        client = signs_in(ldap_app, "mover")
        assert as_requester.get("/applications").status_code == 302  # the session opened as requester ended
        after = account("mover")
        assert after.id == before.id
        assert (after.role, after.organisation_id) == ("hr", organisations[fixture.SCHELDT].id)
        assert "Scheldt Stevedoring" in client.get("/", follow_redirects=True).text
        reason = db.session.scalar(
            select(AuditEntry.reason).where(AuditEntry.action == "sync_user", AuditEntry.object_id == after.id)
        )
        assert "role 'requester' -> 'hr'" in reason


def test_name_and_e_mail_are_re_synced(ldap_app: Flask, slapd: SlapdServer) -> None:
    signs_in(ldap_app, "eric")
    dn = next(p.dn for p in fixture.PEOPLE_IN_TREE if p.uid == "eric")
    with slapd.admin_connection() as admin:
        changes = {"cn": [(ldap3.MODIFY_REPLACE, ["Eric Renamed"])], "mail": [(ldap3.MODIFY_REPLACE, ["e@x.example"])]}
        assert admin.modify(dn, changes), admin.result
    try:
        signs_in(ldap_app, "eric")
        user = account("eric")
        assert (user.display_name, user.email) == ("Eric Renamed", "e@x.example")
    finally:
        with slapd.admin_connection() as admin:
            restore = {
                "cn": [(ldap3.MODIFY_REPLACE, ["Eric Enabled"])],
                "mail": [(ldap3.MODIFY_REPLACE, ["eric@example.org"])],
            }
            assert admin.modify(dn, restore), admin.result


def test_removal_from_every_mapped_group_refuses_sign_in(ldap_app: Flask, slapd: SlapdServer) -> None:
    signs_in(ldap_app, "mover")
    with moved(slapd, "mover", leave=["acme-requesters"], join=[]):
        response = attempt(ldap_app.test_client(), "mover", password_for("mover"))
        assert response.status_code == 200
        assert NOT_MAPPED in response.text
    assert account("mover").role == "requester", "a refused sign-in changes nothing"


@pytest.mark.parametrize("uid", ["nora", "gus"])
def test_people_in_no_mapped_group_are_refused(ldap_app: Flask, uid: str) -> None:
    response = attempt(ldap_app.test_client(), uid, password_for(uid))
    assert NOT_MAPPED in response.text
    assert account(uid) is None


def test_an_organisation_mapping_the_application_does_not_know_refuses(
    make_ldap_app: MakeLdapApp, caplog: pytest.LogCaptureFixture
) -> None:
    mappings = [{"group": fixture.group_dn("acme-requesters"), "organisation": "0403.170.701"}]
    web = make_ldap_app(organisation_mappings=mappings)
    caplog.set_level(logging.WARNING, logger="screening.auth")
    response = attempt(web.test_client(), "alice", password_for("alice"))
    assert NOT_MAPPED in response.text
    assert any(
        r.levelno == logging.ERROR and "'0403.170.701' matches no organisation" in r.getMessage()
        for r in caplog.records
    )


def test_a_disabled_active_directory_account_is_refused(make_ldap_app: MakeLdapApp) -> None:
    web = make_ldap_app(active_directory=True)
    response = attempt(web.test_client(), "dora", password_for("dora"))
    assert "Your directory account is disabled" in response.text
    assert account("dora") is None
    signs_in(web, "eric")


def test_an_account_deactivated_here_stays_out(ldap_app: Flask) -> None:
    signs_in(ldap_app, "olga")
    user = account("olga")
    user.active = False
    db.session.commit()
    response = attempt(ldap_app.test_client(), "olga", password_for("olga"))
    assert "This account is deactivated." in response.text


# -- refusals: the page and the log ------------------------------------------------------------
def test_unknown_user_and_wrong_password_read_the_same_and_log_apart(
    ldap_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = ldap_app.test_client()
    unknown, wrong = attempt(client, "nobody", "whatever-pw"), attempt(client, "alice", "pw-bob")
    assert unknown.status_code == wrong.status_code == 200
    assert WRONG in unknown.text and WRONG in wrong.text
    lines = [record.getMessage() for record in caplog.records]
    assert any("'nobody'" in line and "reason: no such user" in line for line in lines)
    assert any("'alice'" in line and "reason: wrong password" in line for line in lines)
    assert not any("whatever-pw" in line or "pw-bob" in line for line in lines)


@pytest.mark.parametrize("typed", ["*", "al*", ")(uid=*", "*)(|(uid=*", "alice)(uid=*", "\\00", "\\2a", "ålice"])
def test_injection_strings_never_widen_the_search(
    ldap_app: Flask, typed: str, caplog: pytest.LogCaptureFixture
) -> None:
    """With alice's password: a widened filter would find alice (or several entries) and bind."""
    caplog.set_level(logging.WARNING, logger="screening.auth.ldap")
    response = attempt(ldap_app.test_client(), typed, password_for("alice"))
    assert response.status_code == 200
    assert WRONG in response.text
    assert any("reason: no such user" in r.getMessage() for r in caplog.records), "the search found nobody"
    fresh()
    assert db.session.scalar(select(User.id)) is None


@pytest.mark.parametrize("typed", ["al\x00ice", "*\x00", "alice\n"])
def test_control_characters_are_refused_at_the_field(ldap_app: Flask, typed: str) -> None:
    """NUL and friends never reach the directory or the database (PostgreSQL refuses NUL in text)."""
    response = attempt(ldap_app.test_client(), typed, password_for("alice"))
    assert response.status_code == 200
    single_line = "This field takes a single line: remove the line breaks."  # main's input rule (inputs.py)
    control = "Remove the control characters (such as a tab or a NUL) from this field."
    assert (single_line if typed.endswith("\n") else control) in response.text
    fresh()
    assert db.session.scalar(select(User.id)) is None


def test_repeated_failures_are_throttled_per_account(ldap_app: Flask) -> None:
    client = ldap_app.test_client()
    for _ in range(5):
        assert WRONG in attempt(client, "hugo", "not-his-password").text
    response = attempt(client, "hugo", password_for("hugo"))
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert account("hugo") is None
    signs_in(ldap_app, "alice")  # other accounts from the same address still sign in


def test_a_wrong_service_password_is_a_clear_message_not_a_500(make_ldap_app: MakeLdapApp) -> None:
    web = make_ldap_app(bind_password="not-the-service-password")
    response = attempt(web.test_client(), "alice", password_for("alice"))
    assert response.status_code == 503
    assert "Signing in through the directory failed. Please tell your administrator." in response.text


# -- failover, timeouts and break-glass --------------------------------------------------------
def test_first_server_silent_second_answers(
    make_ldap_app: MakeLdapApp, slapd: SlapdServer, ldap_sockets: SocketLog
) -> None:
    with BlackHole() as hole:
        web = make_ldap_app(servers=[hole.url, slapd.url], connect_timeout=0.5, receive_timeout=0.75)
        signs_in(web, "olga")
        assert ldap_sockets.attempts_to(hole.port) == 1, "the silent server tried once, then the second"
        assert ldap_sockets.timed_out(hole.port) == [0.75], "its wait ended on receive_timeout"


def test_all_servers_down_a_clear_message_in_time_and_local_admin_still_signs_in(
    make_ldap_app: MakeLdapApp, factory: Factory, ldap_requests: RequestLog, ldap_sockets: SocketLog
) -> None:
    admin = factory.user("admin", username="breakglass")
    with BlackHole() as hole:
        refused = refused_url()
        web = make_ldap_app(servers=[hole.url, refused], connect_timeout=0.5, receive_timeout=0.75)
        started = time.monotonic()
        response = attempt(web.test_client(), "olga", password_for("olga"))
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert UNREACHABLE in response.text
        assert ldap_sockets.timed_out(hole.port) == [0.75] and ldap_sockets.attempts_to(hole.port) == 1
        assert ldap_sockets.attempts_to(int(refused.rsplit(":", 1)[1])) == 1
        # Only a hang crosses this: ten times the configured timeouts of both servers.
        assert elapsed < 10 * 2 * (0.5 + 0.75), f"{elapsed:.1f} s: beyond the configured timeouts"
        ldap_requests.clear()
        client = sign_in(web.test_client(), admin)
        assert ldap_requests.types == [], "a local account never waits for the directory"
        assert "Test admin" in client.get("/admin/users").text


def test_local_accounts_other_than_admins_are_off_unless_configured(
    make_ldap_app: MakeLdapApp, factory: Factory
) -> None:
    officer = factory.user("officer", username="local-officer")
    response = attempt(make_ldap_app().test_client(), officer.username, PASSWORD)
    assert "Local accounts other than administrators are switched off" in response.text
    wrong = attempt(make_ldap_app().test_client(), officer.username, "not-the-password")
    assert WRONG in wrong.text and "switched off" not in wrong.text, "the policy shows only to the password holder"
    sign_in(make_ldap_app(local_accounts="all").test_client(), officer)


def test_without_a_directory_local_accounts_sign_in_as_before(as_role: Callable[..., Any]) -> None:
    client, user = as_role("requester")
    assert user.display_name in client.get("/", follow_redirects=True).text


def test_start_tls_sign_in(make_ldap_app: MakeLdapApp, slapd: SlapdServer) -> None:
    assert slapd.tls_files is not None
    signs_in(make_ldap_app(start_tls=True, ca_file=str(slapd.tls_files.ca_file)), "aude")
    assert account("aude").role == "auditor"


def test_a_certificate_from_an_unknown_ca_is_a_tls_failure(make_ldap_app: MakeLdapApp, slapd: SlapdServer) -> None:
    assert slapd.tls_files is not None
    web = make_ldap_app(start_tls=True, ca_file=str(slapd.tls_files.other_ca_file))
    response = attempt(web.test_client(), "aude", password_for("aude"))
    assert response.status_code == 503
    assert TLS_FAILED in response.text


def test_one_directory_per_process_reuses_its_connection(ldap_app: Flask, ldap_requests: RequestLog) -> None:
    signs_in(ldap_app, "alice")
    ldap_requests.clear()
    signs_in(ldap_app, "hugo")
    # The user's own short connection is unbound after its bind; no new service bind: the connection is reused.
    assert ldap_requests.types == ["searchRequest", "bindRequest", "unbindRequest"]
    assert ldap_requests.round_trips == 2


def test_threads_racing_to_the_first_sign_in_build_one_directory(ldap_app: Flask) -> None:
    holder = DirectoryHolder(directory_config(ldap_app))
    seen: list[int] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        seen.append(id(holder.get()))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    holder.close()
    assert len(seen) == 8 and len(set(seen)) == 1


def test_a_bad_ldap_table_stops_the_start_naming_the_key(ldap_settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"^ldap\.local_accounts: expected \"admins\" or \"all\""):
        create_app(make_config(ldap={**ldap_settings, "local_accounts": "everyone"}))


# -- the operator's tools ----------------------------------------------------------------------
def _toml_value(value: Any) -> str:
    return json.dumps(value)  # strings, numbers, booleans and lists of them read the same in TOML


def write_config(web: Flask, path: Path, ldap: dict[str, Any] | None) -> Path:
    config = web.extensions["screening.config"]
    lines = [
        "[app]", f"secret_key = {_toml_value(config.app.secret_key)}",
        "[database]", f"url = {_toml_value(config.database.url)}",
        "[security]", f"identifier_keys = {_toml_value(list(config.security.identifier_keys))}",
        f"lookup_key = {_toml_value(config.security.lookup_key)}",
    ]  # fmt: skip
    if ldap is not None:
        lines.append("[ldap]")
        lines += [
            f"{k} = {_toml_value(v)}"
            for k, v in ldap.items()
            if not isinstance(v, list) or not v or not isinstance(v[0], dict)
        ]
        for key, items in ldap.items():
            if isinstance(items, list) and items and isinstance(items[0], dict):
                for item in items:
                    lines.append(f"[[ldap.{key}]]")
                    lines += [f"{k} = {_toml_value(v)}" for k, v in item.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ldap_test(config_file: Path, username: str) -> Any:
    return CliRunner().invoke(main, ["--config", str(config_file), "ldap", "test", username], catch_exceptions=False)


def test_cli_shows_server_dn_groups_role_and_organisation(
    ldap_app: Flask, ldap_settings: dict[str, Any], slapd: SlapdServer, tmp_path: Path
) -> None:
    result = ldap_test(write_config(ldap_app, tmp_path / "s.toml", ldap_settings), "hugo")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"server        {slapd.url}" in out
    assert "dn            uid=hugo,ou=people,dc=example,dc=org" in out
    assert f"groups        {fixture.group_dn('acme-hr')}" in out
    assert "role          hr" in out
    assert f"organisation  {fixture.ACME} (Acme Terminals)" in out
    assert "sign-in       allowed" in out
    assert account("hugo") is None, "nobody was signed in or created"


@pytest.mark.parametrize(
    ("username", "line"),
    [
        ("nora", "error: nora: sign-in would be refused: in no mapped group"),
        ("nobody", "error: nobody: no such user (searched (uid=nobody) on ldap://127.0.0.1:"),
        ("*", "error: *: no such user (searched (uid=\\2a) on"),
    ],
)
def test_cli_refusals_exit_non_zero_with_one_line(
    ldap_app: Flask, ldap_settings: dict[str, Any], tmp_path: Path, username: str, line: str
) -> None:
    result = ldap_test(write_config(ldap_app, tmp_path / "s.toml", ldap_settings), username)
    assert result.exit_code == 1
    errors = [text for text in result.output.splitlines() if text.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(line), result.output


def test_cli_with_the_directory_down_or_absent(ldap_app: Flask, ldap_settings: dict[str, Any], tmp_path: Path) -> None:
    down = write_config(ldap_app, tmp_path / "down.toml", {**ldap_settings, "servers": [refused_url()]})
    result = ldap_test(down, "alice")
    assert result.exit_code == 1
    assert result.output.startswith("error: DirectoryUnavailable: no directory server answered: ldap://127.0.0.1:")
    assert len(result.output.strip().splitlines()) == 1
    result = ldap_test(write_config(ldap_app, tmp_path / "none.toml", None), "alice")
    assert result.exit_code == 2
    assert "sign-in is local only" in result.output


def test_admin_page_shows_the_directory_entry_and_is_audited(ldap_app: Flask, factory: Factory) -> None:
    admin = factory.user("admin", username="breakglass")
    client = sign_in(ldap_app.test_client(), admin)
    page = client.get("/admin/directory")
    assert page.status_code == 200
    assert 'href="/admin/directory"' in page.text, "the admin's menu links the page"
    response = client.post("/admin/directory", data={"csrf_token": csrf_token(page.text), "username": "sam"})
    assert response.status_code == 200
    text = response.text
    assert "Sign-in would be allowed." in text
    assert "uid=sam,ou=people,dc=example,dc=org" in text
    assert fixture.group_dn("scheldt-requesters") in text
    assert "Scheldt Stevedoring" in text
    fresh()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "directory_lookup"))
    assert (entry.actor, entry.role, entry.reason) == ("breakglass", "admin", "'sam': allowed as requester")
    refused = client.post("/admin/directory", data={"csrf_token": csrf_token(page.text), "username": "gus"})
    assert "Sign-in would be refused: in no mapped group" in refused.text


def test_admin_page_refuses_bad_input_missing_csrf_and_other_roles(ldap_app: Flask, factory: Factory) -> None:
    client = sign_in(ldap_app.test_client(), factory.user("admin", username="breakglass"))
    page = client.get("/admin/directory")
    empty = client.post("/admin/directory", data={"csrf_token": csrf_token(page.text), "username": "  "})
    assert empty.status_code == 422
    assert "This field is required." in empty.text
    assert client.post("/admin/directory", data={"username": "sam"}).status_code == 400
    officer = signs_in(ldap_app, "olga")
    assert officer.get("/admin/directory").status_code == 403
    fresh()
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "directory_lookup")) is None


def test_admin_page_with_the_directory_down_says_so(make_ldap_app: MakeLdapApp, factory: Factory) -> None:
    web = make_ldap_app(servers=[refused_url()])
    client = sign_in(web.test_client(), factory.user("admin", username="breakglass"))
    page = client.get("/admin/directory")
    response = client.post("/admin/directory", data={"csrf_token": csrf_token(page.text), "username": "sam"})
    assert response.status_code == 200
    assert UNREACHABLE in response.text
    fresh()
    reason = db.session.scalar(select(AuditEntry.reason).where(AuditEntry.action == "directory_lookup"))
    assert reason.startswith("'sam': DirectoryUnavailable")


def test_admin_page_without_a_directory(as_role: Callable[..., Any]) -> None:
    client, _ = as_role("admin")
    assert "No directory is configured" in client.get("/admin/directory").text


def _refusals() -> list[type[DirectoryError]]:
    found, todo = [], [DirectoryError]
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo += kind.__subclasses__()
    return found


@pytest.mark.parametrize("locale", ["nl", "fr"])
def test_every_refusal_message_is_translated(locale: str) -> None:
    """The messages are marked N_ (not extracted by the usual keywords): check the catalogues hold them."""
    catalogue = Translations.load(str(Path(screening.__file__).parent / "translations"), [locale])
    untranslated = {kind.__name__ for kind in _refusals() if catalogue.gettext(kind.user_message) == kind.user_message}
    assert not untranslated


def test_a_refusal_reads_in_the_person_s_language(make_ldap_app: MakeLdapApp) -> None:
    web = make_ldap_app(servers=[refused_url()])
    client = web.test_client()
    page = client.get("/login", headers={"Accept-Language": "nl"})
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(page.text), "username": "olga", "password": "pw-olga"},
        headers={"Accept-Language": "nl"},
    )
    assert response.status_code == 503
    assert UNREACHABLE not in response.text
    catalogue = Translations.load(str(Path(screening.__file__).parent / "translations"), ["nl"])
    assert catalogue.gettext(UNREACHABLE) in response.text
