"""The second factor: officers, admins and auditors reach no page but enrolment without one; a TOTP code
opens one sign-in only; recovery codes are single use; throttling never refuses the right password with a
valid second factor because others failed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.auth.models import RecoveryCode, User
from screening.db import db
from tests.conftest import PASSWORD, csrf_token, data_context, fresh

REQUIRED = {"second_factor_roles": ["officer", "admin", "auditor"]}


@pytest.fixture
def app(make_app):
    """The production default: the second factor required for the authority's roles."""
    application = make_app(security={**REQUIRED, "login_attempts": 3})
    with data_context(application):
        yield application


@pytest.fixture
def enrolled(app, factory):
    """``user, secret, codes = enrolled("officer")``: an account with an authenticator app, enrolled
    through the enrolment page as a person would."""

    def build(role: str) -> tuple[User, str, list[str]]:
        user = factory.user(role)
        client = app.test_client()
        assert _password(client, user.username).headers["Location"] == "/account/second-factor"
        secret, codes = _enrol(client)
        return user, secret, codes

    return build


def _password(client, username: str, password: str = PASSWORD, code: str | None = None):
    page = client.get("/login")
    data = {"csrf_token": csrf_token(page.text), "username": username, "password": password}
    if code is not None:
        data["code"] = code
    return client.post("/login", data=data)


def _code(client, code: str):
    page = client.get("/login/second-factor")
    return client.post("/login/second-factor", data={"csrf_token": csrf_token(page.text), "code": code})


def _enrol(client, at: datetime | None = None) -> tuple[str, list[str]]:
    page = client.get("/account/second-factor")
    assert page.status_code == 200
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page.text).group(1)
    code = pyotp.TOTP(secret).at(at or datetime.now(UTC))
    done = client.post("/account/second-factor", data={"csrf_token": csrf_token(page.text), "code": code})
    assert done.status_code == 200, done.text[:300]
    codes = re.findall(r"<li>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</li>", done.text)
    assert len(codes) == 10
    return secret, codes


def test_without_a_second_factor_an_officer_reaches_only_enrolment(app, factory, as_role):
    factory.application("in_review")
    officer = factory.user("officer")
    client = app.test_client()
    response = _password(client, officer.username)
    assert response.status_code == 302
    for path in ("/home", "/applications", "/applications/1", "/account", "/clearances", "/reports"):
        blocked = client.get(path)
        assert blocked.status_code == 302, path
        assert blocked.headers["Location"] == "/account/second-factor", path
    enrolment = client.get("/account/second-factor")
    assert "Your role needs a second factor" in enrolment.text
    token = csrf_token(enrolment.text)
    posted = client.post("/account/sessions", data={"csrf_token": token})
    assert posted.headers["Location"] == "/account/second-factor"  # writes are closed too
    requester, _ = as_role("requester")  # a role that does not need one is not asked
    assert requester.get("/applications").status_code == 200


def test_enrolment_opens_the_pages_and_ends_the_other_sessions(app, factory):
    admin = factory.user("admin")
    here, elsewhere = app.test_client(), app.test_client()
    _password(here, admin.username)
    _password(elsewhere, admin.username)
    _enrol(here)
    assert here.get("/admin/users").status_code == 200
    assert elsewhere.get("/admin/users").headers["Location"].startswith("/login")
    fresh()
    stored = db.session.get(User, admin.id)
    assert stored.totp_secret is not None and not re.fullmatch(r"[A-Z2-7]{32}", stored.totp_secret)  # encrypted
    hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == admin.id)).all()
    assert len(hashes) == 10 and all(len(h) == 64 for h in hashes)  # only salted hashes are kept
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "enrol_totp")) is not None


def test_a_wrong_enrolment_code_enrols_nothing(app, factory):
    auditor = factory.user("auditor")
    client = app.test_client()
    _password(client, auditor.username)
    page = client.get("/account/second-factor")
    refused = client.post("/account/second-factor", data={"csrf_token": csrf_token(page.text), "code": "000000"})
    assert refused.status_code == 422
    assert client.get("/audit").headers["Location"] == "/account/second-factor"
    fresh()
    assert db.session.get(User, auditor.id).totp_secret is None


def test_sign_in_with_totp_and_a_code_is_good_once(app, enrolled):
    officer, secret, _ = enrolled("officer")
    start = datetime.now(UTC) + timedelta(minutes=2)  # past the enrolment code's step
    with time_machine.travel(start, tick=False):
        client = app.test_client()
        response = _password(client, officer.username)
        assert response.headers["Location"] == "/login/second-factor"
        assert client.get("/applications").headers["Location"].startswith("/login")  # the password is half
        assert "not right" in _code(client, "123456" if pyotp.TOTP(secret).now() != "123456" else "654321").text
        code = pyotp.TOTP(secret).now()
        assert _code(client, code).headers["Location"] == "/home"
        assert client.get("/applications").status_code == 200
        replay = app.test_client()
        _password(replay, officer.username)
        refused = _code(replay, code)  # the same code, within its window: refused
        assert refused.status_code == 200 and "used already" in refused.text
        assert replay.get("/applications").headers["Location"].startswith("/login")
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        _password(replay, officer.username)
        assert _code(replay, pyotp.TOTP(secret).now()).headers["Location"] == "/home"  # the next code works
    fresh()
    reasons = db.session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "sign_in")).all()
    assert reasons.count("with totp") == 2


def test_a_recovery_code_opens_one_sign_in(app, enrolled):
    officer, _, codes = enrolled("officer")
    client = app.test_client()
    _password(client, officer.username)
    response = _code(client, codes[3].upper().replace("-", " "))
    assert response.headers["Location"] == "/home"
    assert "9 are left" in client.get("/home").text
    again = app.test_client()
    _password(again, officer.username)
    assert "used already" in _code(again, codes[3]).text
    fresh()
    assert db.session.scalar(select(func.count()).where(RecoveryCode.used_at.is_not(None))) == 1


def test_the_pending_step_expires_and_ends_with_the_sessions(app, enrolled):
    officer, secret, _ = enrolled("officer")
    client = app.test_client()
    start = datetime.now(UTC) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        _password(client, officer.username)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        late = client.get("/login/second-factor")
        assert late.headers["Location"] == "/login"


def test_wrong_codes_are_throttled(app, enrolled):
    officer, secret, _ = enrolled("officer")
    client = app.test_client()
    _password(client, officer.username)
    for _ in range(3):
        assert "not right" in _code(client, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111").text
    refused = _code(client, pyotp.TOTP(secret).now())
    assert refused.status_code == 429


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _fail(app, username: str, address: str, times: int) -> None:
    client = _from(app, address)
    for _ in range(times):
        assert _password(client, username, "not-the-password").status_code in (200, 429)


def test_others_failures_never_lock_out_the_break_glass_admin(app, enrolled, factory):
    admin, secret, _ = enrolled("admin")
    shared = "10.1.1.1"
    _fail(app, admin.username, "10.9.9.9", 10)  # guessed from elsewhere: counted for that address only
    for colleague in range(12):  # colleagues at the shared address fail on their own names
        _fail(app, f"colleague{colleague}", shared, 1)
    client = _from(app, shared)
    throttled = _password(client, admin.username)
    assert throttled.status_code == 429  # the address is throttled: the password alone is not enough...
    assert 'name="code"' in throttled.text
    later = datetime.now(UTC) + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        wrong = _password(client, admin.username, code="000000" if pyotp.TOTP(secret).now() != "000000" else "1")
        assert wrong.status_code == 429
        assert wrong.text.count("Too many failed attempts") == throttled.text.count("Too many failed attempts")
        bad_password = _password(client, admin.username, "not-the-password", code=pyotp.TOTP(secret).now())
        assert bad_password.status_code == 429  # the same answer: it never tells which half was wrong
        done = _password(client, admin.username, code=pyotp.TOTP(secret).now())
        assert done.status_code == 302 and done.headers["Location"] == "/home"  # ...with a valid code, it is
        assert client.get("/admin/users").status_code == 200
    home = _from(app, "10.2.2.2")
    assert _password(home, admin.username).headers["Location"] == "/login/second-factor"  # not throttled here


def test_an_account_without_a_second_factor_stays_throttled(app, factory):
    requester = factory.user("requester")
    _fail(app, requester.username, "10.3.3.3", 3)
    client = _from(app, "10.3.3.3")
    assert _password(client, requester.username, code="123456").status_code == 429
    elsewhere = _from(app, "10.4.4.4")
    assert _password(elsewhere, requester.username).status_code == 302  # others' failures do not count


def test_the_directory_may_enforce_the_second_factor(make_app):
    from screening.auth.factors.operations import required_for
    from screening.config import ConfigError, make_config

    local, directory = User(role="officer", source="local"), User(role="officer", source="directory")
    default = make_config().security
    assert required_for(local, default) and required_for(directory, default)
    trusted = make_config(security={"directory_enforces_second_factor": True}).security
    assert required_for(local, trusted) and not required_for(directory, trusted)
    assert not required_for(User(role="hr", source="local"), default)
    with pytest.raises(ConfigError, match="second_factor_roles"):
        make_config(security={"second_factor_roles": ["officer", "root"]})


def test_the_demo_enrols_its_authority_accounts(make_app):
    from screening.demo import load_demo

    app = make_app(security=REQUIRED)
    with data_context(app):
        accounts = {username: secret for username, _, _, secret in load_demo()}
        db.session.commit()
        assert all(accounts[name] for name in ("officer", "officer2", "admin", "auditor"))
        assert accounts["requester"] is None and accounts["hr"] is None
        again = {username: secret for username, _, _, secret in load_demo()}
        assert again == accounts  # a second run prints the same secrets
        client = app.test_client()
        _password(client, "officer", "demo-password")
        assert _code(client, pyotp.TOTP(accounts["officer"]).now()).headers["Location"] == "/home"


def test_a_forged_security_key_answer_is_refused_and_counted(app, enrolled):
    from screening.auth.models import LoginAttempt

    officer, _, _ = enrolled("officer")
    stranger = app.test_client()
    page = stranger.get("/login")
    headers = {"X-CSRFToken": csrf_token(page.text)}
    assert stranger.post("/login/security-key", data="{}", headers=headers).status_code == 403  # no password
    client = app.test_client()
    _password(client, officer.username)
    token = csrf_token(client.get("/login/second-factor").text)
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    assert client.post("/login/security-key/options", headers=headers).status_code == 200
    forged = '{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}'
    answer = client.post("/login/security-key", data=forged, headers=headers)
    assert answer.status_code == 200 and "not accepted" in answer.json["error"]
    replay = client.post("/login/security-key", data=forged, headers=headers)
    assert replay.status_code == 403  # the challenge was single use
    assert client.get("/applications").headers["Location"].startswith("/login")
    fresh()
    assert db.session.scalar(select(func.count()).where(LoginAttempt.kind == "code")) == 1


def test_one_code_sent_twice_at_once_opens_one_session(app, enrolled):
    """Two sign-ins racing with the same code (a phished code replayed at once): the conditional update of
    the account's last step lets exactly one through."""
    import threading

    officer, secret, _ = enrolled("officer")
    later = datetime.now(UTC) + timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        clients = [app.test_client(), app.test_client()]
        tokens = []
        for client in clients:
            _password(client, officer.username)
            tokens.append(csrf_token(client.get("/login/second-factor").text))
        code = pyotp.TOTP(secret).now()
        barrier, answers = threading.Barrier(2), []

        def race(client, token) -> None:
            barrier.wait()
            answers.append(client.post("/login/second-factor", data={"csrf_token": token, "code": code}).status_code)

        threads = [threading.Thread(target=race, args=pair) for pair in zip(clients, tokens, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(answers) == [200, 302]
        assert sorted(client.get("/applications").status_code for client in clients) == [200, 302]
