"""What the per-request savings must not change: who is signed in, for how long, and the audited read."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import event, select

from bench.pages import choose_targets
from bench.seed import BENCH_PASSWORD, seed
from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.db import db
from tests.conftest import _empty_tables, csrf_token, fresh

COOKIE = "screening_session"


def _sets_cookie(response) -> bool:
    return any(header.startswith(f"{COOKIE}=") for header in response.headers.getlist("Set-Cookie"))


def test_the_session_cookie_is_not_resent_on_every_page(as_role):
    client, _user = as_role("officer")
    assert client.get("/queue").status_code == 200
    second = client.get("/queue")
    assert second.status_code == 200
    assert not _sets_cookie(second)


def test_an_active_session_is_renewed_and_an_idle_one_ends(app, as_role):
    lifetime = app.permanent_session_lifetime
    client, _user = as_role("officer")
    start = datetime.now(UTC)
    # Working for longer than the lifetime, a request every half lifetime: the cookie is renewed.
    with time_machine.travel(start + lifetime / 2, tick=False):
        response = client.get("/queue")
        assert response.status_code == 200
        assert _sets_cookie(response)
    with time_machine.travel(start + lifetime * 0.9, tick=False):
        assert client.get("/queue").status_code == 200
    with time_machine.travel(start + lifetime * 1.2, tick=False):
        assert client.get("/queue").status_code == 200
    # Idle for the whole lifetime after the last renewal: signed out.
    with time_machine.travel(start + lifetime * 1.2 + lifetime + timedelta(minutes=2), tick=False):
        response = client.get("/queue")
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_a_role_change_applies_on_the_next_request(as_role):
    client, user = as_role("officer")
    assert client.get("/queue").status_code == 200
    stored = db.session.get(User, user.id)
    stored.role = "auditor"
    db.session.commit()
    assert client.get("/queue").status_code == 403
    assert client.get("/audit").status_code == 200


def test_the_layout_names_the_user_and_organisation(as_role, factory):
    organisation = factory.organisation()
    client, user = as_role("requester", organisation)
    page = client.get("/applications").text
    assert user.display_name in page
    assert organisation.name in page


def test_the_shared_layout_shows_each_user_their_own_name_organisation_token_and_path(as_role, factory):
    """The menu and the account bar are rendered once per role and language and reused: nothing of one user
    may reach the next user of that role."""
    first_org, second_org = factory.organisation(), factory.organisation()
    (first, first_user), (second, second_user) = as_role("requester", first_org), as_role("requester", second_org)
    db.session.get(User, second_user.id).display_name = "Ann <b>Other</b>"
    db.session.commit()
    first_page = first.get("/applications").text
    second_page = second.get("/applications?state=submitted").text
    assert first_user.display_name in first_page and first_org.name in first_page
    assert "Ann &lt;b&gt;Other&lt;/b&gt;" in second_page and second_org.name in second_page
    assert first_user.display_name not in second_page and first_org.name not in second_page
    assert csrf_token(first_page) != csrf_token(second_page)
    assert 'name="next" value="/applications?state=submitted"' in second_page
    officer, _officer = as_role("officer")
    menu = officer.get("/applications").text
    assert 'href="/queue"' in menu and 'href="/applications/new"' not in menu
    assert 'href="/applications/new"' in first_page and 'href="/queue"' not in first_page


def test_the_layout_and_a_form_carry_one_csrf_token_that_flask_wtf_accepts(app, as_role):
    """The layout signs its token itself (screening.web.csrf_token): it is the form's, and Flask-WTF's check
    takes it, and signing out with the token of a 404 page works."""
    from flask_wtf.csrf import validate_csrf

    login = app.test_client().get("/login").text
    tokens = set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', login))
    assert len(tokens) == 1 and not next(iter(tokens)).startswith(".")
    client, _user = as_role("officer")
    page = client.get("/no-such-page")
    assert page.status_code == 404
    token = csrf_token(page.text)
    cookie = client.get_cookie(COOKIE)
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}={cookie.value}"}):
        validate_csrf(token)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/queue").status_code == 302  # signed out


def test_the_language_choice_is_kept_for_the_account(as_role):
    client, user = as_role("officer")
    page = client.get("/queue")
    response = client.post("/language", data={"csrf_token": csrf_token(page.text), "locale": "nl", "next": "/queue"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "nl"
    assert 'lang="nl"' in client.get("/queue").text


def test_grounds_read_at_the_same_moment_by_two_officers_are_both_recorded(as_role, factory):
    from tests.test_visibility import GROUNDS, _negative_file

    application = _negative_file(factory, factory.user("requester"))
    clients = [as_role("officer")[0] for _ in range(2)]
    barrier = threading.Barrier(len(clients))
    statuses: list[list[int]] = [[] for _ in clients]
    pages: list[str] = ["" for _ in clients]

    def read(index: int) -> None:
        barrier.wait()
        for _ in range(5):
            response = clients[index].get(f"/applications/{application.id}")
            statuses[index].append(response.status_code)
            pages[index] = response.text

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [[200] * 5, [200] * 5]
    assert all(GROUNDS in page for page in pages)
    fresh()
    statement = select(AuditEntry).where(AuditEntry.action == "read_grounds", AuditEntry.object_id == application.id)
    assert len(db.session.scalars(statement).all()) == 10


#: The signed-in pages whose SQL statements are counted: (account, path), filled in from the seeded data. The
#: data has one employer, so every list is longer than a page at both sizes and is counted (a list that fits
#: one page is not, tests/test_pages.py); the search is for a start of a reference every file shares.
COUNTED_PAGES = [
    ("requester-{org}", "/applications"),
    ("requester-{org}", "/applications?q=SCR-20"),
    ("requester-{org}", "/home"),
    ("requester-{org}", "/applications/{detail_requester}"),
    ("hr-{org}", "/clearances"),
    ("hr-{org}", "/home"),
    ("officer-01", "/queue"),
    ("officer-01", "/applications"),
    ("officer-01", "/applications?q=SCR-20"),
    ("officer-01", "/clearances"),
    ("officer-01", "/home"),
    ("officer-01", "/applications/{detail_officer}"),
]
#: Not counted: the driver begins and ends the request's transaction on both backends (psycopg without a
#: statement this listener sees), and neither reads anything.
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}
#: At most this many SQL statements per page, whatever the amount of data (issue 19).
MOST_STATEMENTS = 6


def _statements_per_page(app, admin_engine, applications: int) -> dict[tuple[str, str], int]:
    """Each page's SQL statements over the benchmark's data (``bench/seed.py``) at ``applications`` files."""
    _empty_tables(admin_engine)
    seed(admin_engine, applications, 1, vault=app.extensions["screening.vault"], officers=2)
    targets = choose_targets(admin_engine, 0)
    found = {"org": targets.organisation, "detail_requester": targets.detail_requester}
    found["detail_officer"] = targets.detail_officer
    clients: dict[str, Any] = {}
    counts = {}
    for account, path in COUNTED_PAGES:
        if account not in clients:
            client = clients[account] = app.test_client()
            name = account.format(**found)
            form = {"csrf_token": csrf_token(client.get("/login").text), "username": name, "password": BENCH_PASSWORD}
            assert client.post("/login", data=form).status_code == 302
        with _statements(app) as statements:
            response = clients[account].get(path.format(**found))
        assert response.status_code == 200, (account, path)
        counts[(account, path)] = len(statements)
    return counts


@contextmanager
def _statements(app) -> Iterator[list[str]]:
    """The SQL of every statement the app's engine runs inside the block."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, *_rest) -> None:
        if statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:
            seen.append(statement)

    event.listen(app.extensions["screening.engine"], "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(app.extensions["screening.engine"], "before_cursor_execute", record)


def test_no_page_needs_more_statements_with_a_hundred_times_the_data(app, admin_engine):
    """The same statements at 250 files as at 25,000, and never more than six: a list, the queue, the search,
    the clearances, a file and the dashboard read a page, its count and its lookups, never a row at a time."""
    small = _statements_per_page(app, admin_engine, 250)
    large = _statements_per_page(app, admin_engine, 25_000)
    assert large == small
    assert {page: count for page, count in large.items() if count > MOST_STATEMENTS} == {}
