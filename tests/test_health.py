"""Health that proves what users need (issue 14): liveness asks nothing of the database; readiness proves a
write; a database that cannot serve makes pages answer 503 with Retry-After and a translated "nothing was
lost" page, never a 500."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import make_url

from screening import migrate
from screening.db import make_engine
from screening.jobs import leases
from tests.conftest import PASSWORD, Factory, csrf_token, data_context, require_service, sign_in

DEAD = {
    "sqlite": "sqlite:////nonexistent-directory/screening.db",
    "postgresql": "postgresql+psycopg://x:y@127.0.0.1:1/x",
}


class ReadOnly:
    """A database that answers reads and refuses writes: on SQLite a migrated WAL file made immutable (even
    root cannot write it then), on PostgreSQL the server's ``default_transaction_read_only`` for this client.
    ``url`` is writable until :meth:`freeze`; ``read_only_url`` is the one to serve from afterwards."""

    def __init__(self, backend: str, database_url: str, tmp_path: Path) -> None:
        self.backend, self.frozen = backend, False
        if backend == "postgresql":
            self.url = database_url
            options = {"options": "-c default_transaction_read_only=on"}
            self.read_only_url = make_url(database_url).update_query_dict(options).render_as_string(hide_password=False)
            return
        self.path = tmp_path / "read-only.db"
        self.url = self.read_only_url = f"sqlite:///{self.path}"
        engine = make_engine(self.url)  # WAL, as the application opens it
        migrate.upgrade(engine)
        engine.dispose()

    def freeze(self) -> None:
        if self.backend != "sqlite":
            return
        done = subprocess.run(["chattr", "+i", str(self.path)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            require_service("chattr +i", done.stderr.strip() or "cannot make a file immutable here")
        self.frozen = True

    def thaw(self) -> None:
        if self.frozen:
            subprocess.run(["chattr", "-i", str(self.path)], check=True)


@pytest.fixture
def read_only(backend: str, database_url: str, tmp_path: Path) -> Iterator[ReadOnly]:
    database = ReadOnly(backend, database_url, tmp_path)
    yield database
    database.thaw()


def test_liveness_asks_nothing_of_the_database(make_app, backend):
    down = make_app(database={"url": DEAD[backend]}).test_client()
    assert down.get("/livez").get_json() == {"status": "ok"}
    ready = down.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "30"
    assert ready.get_json() == {"status": "error", "database": "unreachable (OperationalError)"}


def test_readiness_proves_a_write_and_leaves_nothing(make_app, admin_engine):
    client = make_app().test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "database": "ok", "scheduler": "none (not required)"}
    with admin_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM scheduler_leases").scalar() == 0  # rolled back


def test_readiness_can_require_an_active_scheduler(make_app):
    app = make_app(scheduler={"readiness_requires_scheduler": True})
    client = app.test_client()
    assert client.get("/readyz").get_json() == {
        "status": "error", "database": "ok", "scheduler": "no scheduler holds the lease",
    }  # fmt: skip
    engine = app.extensions["screening.engine"]
    now = datetime.now(UTC)
    assert leases.acquire(engine, leases.SCHEDULER, "node-1", now - timedelta(minutes=5), 60)  # lapsed
    assert client.get("/readyz").status_code == 503
    assert leases.acquire(engine, leases.SCHEDULER, "node-2", now, 60)
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.get_json()["scheduler"]["holder"] == "node-2"


def test_a_read_only_database_is_not_ready_and_pages_answer_503(make_app, read_only):
    """The failure of the field: `SELECT 1` answered while every sign-in failed with 500."""
    writable = make_app(database={"url": read_only.url})
    with data_context(writable):
        user = Factory(writable).user("officer")
    writable.extensions["screening.engine"].dispose()
    read_only.freeze()
    client = make_app(database={"url": read_only.read_only_url}).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["database"].startswith("refuses writes")
    legacy = client.get("/healthz")  # same shape as before, now also red on a read-only database
    assert legacy.status_code == 503 and legacy.get_json() == {"status": "error", "database": "refuses writes"}
    page = client.get("/login")
    assert page.status_code == 200  # reading still works
    answer = client.post(
        "/login", data={"csrf_token": csrf_token(page.text), "username": user.username, "password": PASSWORD},
        headers={"Accept-Language": "nl"},
    )  # fmt: skip
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert "Tijdelijk niet beschikbaar" in answer.text and "Er ging niets verloren" in answer.text
    assert "Kijk na of uw laatste wijziging bewaard is" in answer.text  # a POST: check before sending again


def test_a_signed_in_user_gets_503_in_their_language_while_the_database_is_down(make_app, factory, backend):
    secret = {"secret_key": "s" * 40, "session_cookie_secure": False}
    web = make_app(app=secret)
    with data_context(web):
        officer = factory.user("officer")
    client = sign_in(web.test_client(), officer)
    cookie = client.get_cookie("screening_session")
    assert cookie is not None
    down = make_app(app=secret, database={"url": DEAD[backend]}).test_client()
    down.set_cookie("screening_session", cookie.value)
    for path, language, words in (
        ("/home", "fr", "Temporairement indisponible"),
        ("/applications", "en", "Nothing was lost"),
    ):
        answer = down.get(path, headers={"Accept-Language": language})
        assert answer.status_code == 503, (path, answer.text[:300])
        assert answer.headers["Retry-After"] == "30" and words in answer.text
    api = down.get("/home", headers={"Accept": "application/json"})
    assert api.status_code == 503 and api.get_json()["status"] == 503
