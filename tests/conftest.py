"""Fixtures shared by the whole suite.

The suite runs against one database backend per run: ``--db sqlite`` (default, a throw-away file) or
``--db postgresql`` (a real server; URL from $SCREENING_TEST_POSTGRES_URL). The schema is built once per
run by the Alembic migrations, and every test starts from empty tables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine

from screening import migrate
from screening.actors import Actor
from screening.audit.keys import private_pem
from screening.auth import operations as auth_operations
from screening.config import Config, make_config
from screening.db import Base, db
from tests.support.services import require_service

#: Werkzeug's scrypt at N = 2**15 costs about 70 ms a hash, and the suite makes and checks thousands (43 % of the
#: time of a module that signs in many users): its own accounts get N = 2**10 (a hash names its parameters, so
#: checking one is as cheap). tests/auth/test_password_hash.py holds production's method.
PRODUCTION_HASH_METHOD = auth_operations.HASH_METHOD
auth_operations.HASH_METHOD = "scrypt:1024:8:1"

DEFAULT_POSTGRES_URL = "postgresql+psycopg://screening:screening@127.0.0.1:5432/screening_test"
PASSWORD = "correct-horse-battery"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default=os.environ.get("SCREENING_TEST_DB", "sqlite"), choices=["sqlite", "postgresql"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgresql`` (several writers at once, which SQLite never has) are deselected on SQLite:
    left out of the run and counted as deselected, never shown as skipped."""
    if config.getoption("--db") == "postgresql":
        return
    kept = [item for item in items if item.get_closest_marker("postgresql") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this run, built by the migrations: a SQLite file, or a PostgreSQL database
    of its own (so several runs on one server never meet), dropped at the end."""
    import screening.models  # noqa: F401

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
        return
    server_url = make_url(os.environ.get("SCREENING_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    name = f"{server_url.database}_{os.getpid()}"
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        server.dispose()
        require_service("PostgreSQL", f"{server_url.host}:{server_url.port}: {error.__class__.__name__}: {error}"[:300])
    url = server_url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def admin_engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


#: Above this many rows in one table, PostgreSQL's tables are emptied by TRUNCATE rather than DELETE.
_FEW_ROWS = 500


def _empty_tables(engine: Engine) -> None:
    """Every table emptied and every id counted from 1 again, for the next test.

    On PostgreSQL a TRUNCATE of all tables costs about 100 ms (new files for every table and index), most of a
    short test's own time; a test writes a few rows in a few tables, so one statement finds the tables with
    rows (each count stops past ``_FEW_ROWS``), one statement DELETEs theirs, and the sequences are set back.
    A test that wrote many rows gets the TRUNCATE. A DELETE leaves the tables' pages and statistics to the next
    test: a test about the planner's choices truncates its tables itself (tests/test_queue_search.py)."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            counted = ", ".join(
                f"(SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT {_FEW_ROWS + 1}) AS t)" for name in tables
            )
            counts = dict(zip(tables, connection.execute(text(f"SELECT {counted}")).one(), strict=True))
            if max(counts.values()) > _FEW_ROWS:
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                return
            # one statement: the foreign keys are checked at its end, when every row is gone (a file and its
            # decision or clearance point at each other, so no order of separate DELETEs would do)
            deletes = ", ".join(
                f"d{n} AS (DELETE FROM {name})" for n, name in enumerate(t for t in tables if counts[t])
            )
            if deletes:
                connection.execute(text(f"WITH {deletes} SELECT 1"))
            connection.execute(
                text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
                )
            )
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for name in tables:
                connection.execute(text(f"DELETE FROM {name}"))
            connection.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture
def config(database_url: str) -> Config:
    return make_config(database={"url": database_url})


@pytest.fixture
def make_app(database_url: str, admin_engine: Engine) -> Iterator[Callable[..., Flask]]:
    """Build an app with section overrides, e.g. ``make_app(deadlines={"review_days": 10})``."""
    from screening.app import create_app

    apps: list[Flask] = []

    def build(**sections: dict[str, Any]) -> Flask:
        sections.setdefault("database", {"url": database_url})
        sections["audit"] = {"signing_key": AUDIT_KEY.decode(), **sections.get("audit", {})}
        # The second factor is off unless a test is about it (tests/auth/test_second_factor.py switches it on).
        sections["security"] = {"second_factor_roles": [], **sections.get("security", {})}
        app = create_app(make_config(**sections))
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["screening.engine"].dispose()
    _empty_tables(admin_engine)


#: The suite's audit signing key (the tree heads of every test app are signed with it).
AUDIT_KEY = private_pem(Ed25519PrivateKey.generate())


@contextmanager
def data_context(web: Flask) -> Iterator[Flask]:
    """An application context for the test's own reads and writes, on a twin of ``web``.

    A request reuses an already pushed context of the *same* app (sharing ``g`` and the database
    session with the test); a twin with the same configuration keeps test and requests apart, as a
    user's request and the database are apart in production.
    """
    from screening.app import create_app

    twin = create_app(web.extensions["screening.config"])
    try:
        with twin.app_context():
            yield twin
            db.session.rollback()
    finally:
        twin.extensions["screening.engine"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    application = make_app()
    with data_context(application):
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


# -- factories -------------------------------------------------------------------------------
_seq = count(1)


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory(app)


class Factory:
    """Builds data through the real operations, committing like a request would."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def commit(self) -> None:
        db.session.commit()

    def organisation(self, code: str | None = None, name: str | None = None) -> Any:
        from screening.organisations.operations import save_organisation
        from screening.people.identifiers import make_enterprise_number

        n = next(_seq)
        org = save_organisation(
            Actor(label="test", role="admin"),
            name=name or f"Employer {n}",
            code=code or f"org{n}",
            enterprise_number=make_enterprise_number(1_000_000 + n),
        )
        self.commit()
        return org

    def function(self, code: str | None = None, category: int = 1, **terms: Any) -> Any:
        """A catalogue entry; ``terms`` are ``required_from`` and ``renewal_days``."""
        from screening.catalogue.operations import save_function

        n = next(_seq)
        function = save_function(
            Actor(label="test", role="admin"),
            code=code or f"F{n}",
            name_en=f"Function {n}",
            name_nl=f"Functie {n}",
            name_fr=f"Fonction {n}",
            category=category,
            **terms,
        )
        self.commit()
        return function

    def user(self, role: str, organisation: Any = None, username: str | None = None) -> Any:
        from screening.auth.operations import create_user

        if role in ("requester", "hr") and organisation is None:
            organisation = self.organisation()
        user = create_user(
            Actor(label="test", role="admin"),
            username=username or f"{role}{next(_seq)}",
            display_name=f"Test {role}",
            role=role,
            password=PASSWORD,
            organisation_code=organisation.code if organisation is not None else None,
        )
        self.commit()
        return user

    def person_details(self, **overrides: Any) -> Any:
        from screening.people.identifiers import make_national_number
        from screening.people.operations import PersonDetails

        n = next(_seq)
        born = overrides.pop("date_of_birth", date(1980, 1 + n % 12, 1 + n % 28))
        values = {
            "given_names": f"Given{n}",
            "family_name": f"Family{n}",
            "date_of_birth": born,
            "nationality": "BE",
            "national_number": make_national_number(born, n % 997 + 1),
            "email": f"person{n}@mail.example",
        }
        values.update(overrides)
        return PersonDetails(**values)

    def application(
        self,
        state: str = "draft",
        *,
        requester: Any = None,
        officer: Any = None,
        person: Any = None,
        function: Any = None,
        now: datetime | None = None,
        mail: bool = False,
    ) -> Any:
        """An application driven through the real transitions to ``state``.

        The mail those transitions write (consent request, advice notices) is removed unless ``mail``: a
        test starts from its own story's outbox; tests/privacy checks that mail with ``mail=True``.
        """
        from screening.applications import operations
        from screening.extensions import settings, vault

        requester = requester or self.user("requester")
        function = function or self.function()
        now = now or datetime.now(UTC)
        application = operations.create_application(
            Actor.of(requester),
            vault(),
            organisation_id=requester.organisation_id,
            function_id=function.id,
            person=person or self.person_details(),
            now=now,
        )
        path = PATHS[state]
        officer_actor = Actor.of(officer) if officer is not None else Actor(label="officer-x", role="officer")
        for event in path:
            actor = Actor.of(requester) if event in REQUESTER_EVENTS else officer_actor
            if event == "consent":  # the person's own answer (an employer needs the signed form: paper.py)
                actor = Actor.person(application.person_id)
                person_gives_address(application)
            if event == "expire_consent":
                actor = Actor.system("test")
                now = now + timedelta(days=31)
            if event == "lodge_appeal_missed_term":  # the legal term (review_days) has passed without advice
                now = now + timedelta(days=31)
            operations.fire(application, event, actor, settings().deadlines, reason=f"text for {event}", now=now)
        if not mail:
            forget_transition_mail(application.id)
        self.commit()
        assert application.state == state
        return application


def person_gives_address(application: Any, email: str | None = None) -> None:
    """What the person does on the consent page before answering: confirm (or type) the address the link to
    their own file and their notices go to; by default the one the employer declared."""
    from screening.person_link.operations import give_address, request_for

    request = request_for(application.id)
    assert request is not None, "no request for consent: was the file submitted?"
    give_address(request, email or application.declared_email, application.state_changed_at)


#: Mail written by the transitions themselves (screening.applications.notices), not by the scheduler's jobs.
TRANSITION_TEMPLATES = (
    "consent_request",
    "advice_notice",
    "advice_outcome",
    "info_requested",
    "info_provided",
    "consent_answered",
    "appeal_lodged",
    "appeal_recorded",
    "person_file_link",
)


def forget_transition_mail(application_id: int) -> None:
    """Remove the outbox rows the setup transitions of one file wrote (keys name the file: ``template:id:``)."""
    from sqlalchemy import delete

    from screening.notifications.models import OutboxMessage

    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.template.in_(TRANSITION_TEMPLATES),
            OutboxMessage.idempotency_key.like(f"%:{application_id}:%"),
        )
    )


REQUESTER_EVENTS = {"submit", "consent", "refuse", "withdraw", "provide_info"}
PATHS: dict[str, list[str]] = {
    "draft": [],
    "awaiting_consent": ["submit"],
    "submitted": ["submit", "consent"],
    "in_review": ["submit", "consent", "start_review"],
    "info_requested": ["submit", "consent", "start_review", "request_info"],
    "positive": ["submit", "consent", "start_review", "advise_positive"],
    "negative": ["submit", "consent", "start_review", "advise_negative"],
    "appealed": ["submit", "consent", "start_review", "advise_negative", "lodge_appeal"],
    "appealed_no_advice": ["submit", "consent", "start_review", "lodge_appeal_missed_term"],
    "final_negative": ["submit", "consent", "start_review", "advise_negative", "lodge_appeal", "appeal_rejected"],
    "consent_refused": ["submit", "refuse"],
    "consent_expired": ["submit", "expire_consent"],
    "withdrawn": ["submit", "withdraw"],
}


# -- signing in ------------------------------------------------------------------------------
def sign_in(client: FlaskClient, user: Any) -> FlaskClient:
    """Sign in through the real form (CSRF included)."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": csrf_token(page.text), "username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.text[:500]
    return client


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def as_role(app: Flask, factory: Factory) -> Callable[..., tuple[FlaskClient, Any]]:
    """``client, user = as_role("officer")``: a fresh client signed in as a new user of that role."""

    def build(role: str, organisation: Any = None) -> tuple[FlaskClient, Any]:
        user = factory.user(role, organisation)
        return sign_in(app.test_client(), user), user

    return build


def today_utc() -> date:
    return datetime.now(UTC).date()


def fresh() -> None:
    """Forget what the test's session holds, so the next read sees what requests committed."""
    db.session.rollback()
    db.session.expire_all()


def step_fields(client: FlaskClient, base: str, event: str) -> tuple[str, str]:
    """The CSRF token and version a step is posted with: from the file's page, or for an irreversible step from
    its review page (``/decide/<event>``; the three advice events share ``/decide/advice``)."""
    from workflows.application import ADVICE_EVENTS, APPLICATION
    from workflows.clearance import CLEARANCE

    key, path = event, base
    if event in APPLICATION.irreversible | CLEARANCE.irreversible:
        key = "advice" if event in ADVICE_EVENTS else event
        path = f"{base}/decide/{key}"
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    version = page.text.split(f'id="{key}-version"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    return csrf_token(page.text), version
