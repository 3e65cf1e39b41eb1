"""The status list: written with the clearance's change (every printed code, one statement per change set),
served signed to access-control tokens only, whole or as a delta, JSON or text; bad input is a 400 problem."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from screening.actors import Actor
from screening.api.operations import create_token
from screening.clearances.models import Clearance
from screening.clearances.operations import fire_clearance, fire_clearance_many
from screening.db import db
from screening.extensions import settings
from screening.people.models import Person
from screening.statuslist import canonical
from screening.statuslist.models import StatusEntry
from tests.api.conftest import ApiClient
from tests.conftest import fresh
from tests.statuslist.conftest import OFFICER, certified, keys, print_certificate, revoke


def _entries() -> list[tuple[str, str]]:
    fresh()
    return [(e.code, e.status) for e in db.session.scalars(select(StatusEntry).order_by(StatusEntry.id))]


def test_every_printed_code_of_a_revoked_clearance_goes_on_the_list(app, factory):
    clearance, first = certified(app, factory)
    second = print_certificate(app, clearance, on=datetime.now(UTC) + timedelta(days=1))
    assert first != second and _entries() == []
    revoke(clearance)
    assert _entries() == [(first, "suspended"), (second, "suspended"), (first, "revoked"), (second, "revoked")]


def test_a_change_that_rolls_back_leaves_no_entry(app, factory):
    clearance, _code = certified(app, factory)
    fire_clearance(clearance, "start_reevaluation", OFFICER, reason="New facts")
    db.session.rollback()
    assert _entries() == []


def test_each_change_a_gate_acts_on_and_none_other(app, factory):
    clearance, code = certified(app, factory)
    fire_clearance(clearance, "start_reevaluation", OFFICER, reason="New facts")
    fire_clearance(clearance, "confirm", OFFICER, reason="Fine after all")
    db.session.commit()
    revoke(clearance)
    fire_clearance(clearance, "lodge_revocation_appeal", OFFICER, deadlines=settings().deadlines)  # no entry
    fire_clearance(clearance, "revocation_appeal_upheld", OFFICER, reason="Annulled")
    db.session.commit()
    statuses = [status for listed, status in _entries() if listed == code]
    assert statuses == ["suspended", "reinstated", "suspended", "revoked", "reinstated"]
    uncertified = db.session.get(Clearance, factory.application("positive").clearance_id)
    fire_clearance(uncertified, "start_reevaluation", OFFICER, reason="New facts")  # no code printed: no entry
    db.session.commit()
    assert len(_entries()) == 5


def test_a_batch_of_expiries_is_one_insert(app, factory):
    clearances = [certified(app, factory)[0] for _ in range(4)]
    later = datetime.now(UTC) + timedelta(days=365 * 6)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        if "status_list_entries" in statement and statement.lstrip().upper().startswith("INSERT"):
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        fired, refused = fire_clearance_many(clearances, "expire", Actor.system("test"), now=later)
        db.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(fired) == 4 and not refused
    assert len(statements) == 1
    assert [status for _code, status in _entries()] == ["expired"] * 4


# -- the API ------------------------------------------------------------------------------------------


def test_the_gate_reads_the_whole_list_and_a_delta_in_json_and_text(app, factory, gate_api):
    clearance, code = certified(app, factory)
    revoke(clearance)
    whole = gate_api.get("/api/v1/status-list")
    assert whole.status_code == 200 and whole.content_type == "application/json"
    assert whole.headers["Cache-Control"] == "no-store"
    listed = canonical.verify_json(whole.json, keys(app).public_keys)
    assert [(e.code, e.status) for e in listed.entries] == [(code, "suspended"), (code, "revoked")]
    assert listed.since == 0 and listed.sequence == listed.entries[-1].sequence and listed.kid == keys(app).kid
    text = gate_api.get("/api/v1/status-list", headers={"Accept": "text/plain"})
    assert text.content_type.startswith("text/plain")
    assert canonical.verify_text(text.text, keys(app).public_keys).entries == listed.entries
    assert gate_api.get("/api/v1/status-list?format=text").text.startswith(canonical.MAGIC)
    delta = gate_api.get(f"/api/v1/status-list?since={listed.entries[0].sequence}").json
    assert [(e["code"], e["status"]) for e in delta["entries"]] == [(code, "revoked")]
    empty = gate_api.get(f"/api/v1/status-list?since={listed.sequence}").json
    assert empty["entries"] == [] and empty["sequence"] == listed.sequence
    canonical.verify_json(empty, keys(app).public_keys)


def test_the_list_names_no_person_clearance_or_organisation(app, factory, gate_api):
    clearance, code = certified(app, factory)
    revoke(clearance)
    person = db.session.get(Person, clearance.person_id)
    body = gate_api.get("/api/v1/status-list?format=text").text
    assert code in body
    for secret in (clearance.reference, person.family_name, person.given_names, "Employer", "Port badges"):
        assert secret not in body
    assert set(gate_api.get("/api/v1/status-list").json["entries"][0]) == {"code", "status", "date", "sequence"}


def test_an_altered_list_or_another_key_fails_the_check(app, factory, gate_api):
    clearance, code = certified(app, factory)
    revoke(clearance)
    text = gate_api.get("/api/v1/status-list?format=text").text
    with pytest.raises(canonical.NotGenuine):
        canonical.verify_text(text.replace(" revoked ", " reinstated "), keys(app).public_keys)
    with pytest.raises(canonical.NotGenuine):
        canonical.verify_text(text, {})
    document = gate_api.get("/api/v1/status-list").json
    document["entries"] = document["entries"][:1]
    with pytest.raises(canonical.NotGenuine):
        canonical.verify_json(document, keys(app).public_keys)
    document = gate_api.get("/api/v1/status-list").json
    document["entries"][0]["code"] = f"{code}\nsequence 1"
    with pytest.raises(canonical.NotGenuine):
        canonical.verify_json(document, keys(app).public_keys)


def test_only_access_control_tokens_read_the_list(app, factory, gate_api):
    requester = factory.user("requester")
    _token, secret = create_token(Actor.of(requester), name="HR", scopes=("read", "write", "webhooks"))
    db.session.commit()
    employer = ApiClient(app.test_client(), secret).get("/api/v1/status-list")
    assert employer.status_code == 403 and employer.content_type == "application/problem+json"
    assert app.test_client().get("/api/v1/status-list").status_code == 401
    assert gate_api.get("/api/v1/status-list").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=abc", "since"), ("since=-1", "since"), (f"since={2**63}", "since"), ("since=1%00", "since"),
        ("since=", "since"), ("since=%201", "since"), ("since=1.5", "since"), ("since=%C2%B2", "since"),
        ("format=xml", "format"), ("format=", "format"),
    ],
)  # fmt: skip
def test_bad_parameters_are_a_400_problem(gate_api, query, field):
    response = gate_api.get(f"/api/v1/status-list?{query}")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    if "%00" not in query:  # a NUL anywhere in the address is refused before any view (screening.inputs)
        assert response.json["errors"][0]["field"] == field


def test_the_list_is_refused_without_a_signing_key(make_app, factory):
    from tests.conftest import Factory, data_context

    bare = make_app()
    with data_context(bare):
        gates = Factory(bare).organisation()
        gates.kind = "access_control"
        admin = Factory(bare).user("admin")
        _token, secret = create_token(Actor.of(admin), name="gates", scopes=("access-control",), organisation=gates)
        db.session.commit()
        response = ApiClient(bare.test_client(), secret).get("/api/v1/status-list")
        assert response.status_code == 409 and response.content_type == "application/problem+json"


def test_the_head_is_the_highest_sequence(app, factory, gate_api):
    assert gate_api.get("/api/v1/status-list").json["sequence"] == 0
    clearance, _code = certified(app, factory)
    revoke(clearance)
    highest = db.session.scalar(select(func.max(StatusEntry.id)))
    assert gate_api.get("/api/v1/status-list?since=999999").json["sequence"] == highest
    assert json.loads(gate_api.get("/api/v1/status-list?since=0").text)["sequence"] == highest


def _take_the_lists_write_lock(connection, backend: str) -> None:
    """What another writer of the list needs first, refused at once (not waited for) while it is held."""
    if backend == "postgresql":
        connection.execute(text("LOCK TABLE status_list_entries IN EXCLUSIVE MODE NOWAIT"))
    else:  # SQLite has one writer for the whole database
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def test_a_writer_holds_the_list_until_it_commits_and_readers_go_on(app, factory, backend):
    """A transaction that wrote entries holds the list's write lock to its end, so no later sequence can commit
    before it (a gate's cursor misses nothing); a reader is not held. PostgreSQL: the table's lock; SQLite:
    its one writer's lock."""
    clearance, _code = certified(app, factory)
    fire_clearance(clearance, "start_reevaluation", OFFICER, reason="New facts")  # entries written, not committed
    other = create_engine(db.engine.url, connect_args={"timeout": 0} if backend == "sqlite" else {})
    try:
        with other.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM status_list_entries")).scalar() == 0
            connection.rollback()
            with pytest.raises(OperationalError, match="lock"):  # "could not obtain lock", "database is locked"
                _take_the_lists_write_lock(connection, backend)
            connection.rollback()
            db.session.commit()
            _take_the_lists_write_lock(connection, backend)
            connection.rollback()
    finally:
        other.dispose()


def test_a_periodic_rescreening_suspends_no_card(app, factory):
    """The scheduler's yearly re-check says nothing against the holder (the clearance still covers them): no
    entry when it opens, none when it is confirmed; a revocation at its end is listed as any other."""
    routine, routine_code = certified(app, factory)
    ends_badly, bad_code = certified(app, factory)
    system = Actor.system("rescreening")
    now = datetime.now(UTC)
    opened, refused = fire_clearance_many([routine, ends_badly], "start_reevaluation", system, now=now,
                                          reason="periodic re-screening")  # fmt: skip
    assert len(opened) == 2 and not refused
    db.session.commit()
    assert _entries() == []
    fire_clearance(routine, "confirm", OFFICER, reason="Nothing new")
    fire_clearance(ends_badly, "revoke", OFFICER, reason="Found out")
    db.session.commit()
    assert _entries() == [(bad_code, "revoked")]
    assert routine_code not in {code for code, _status in _entries()}


def test_a_code_is_reinstated_only_when_the_list_shows_it_blocked(app, factory):
    """A code listed suspended (by the migration's backfill, say) whose re-check is confirmed is reinstated."""
    clearance, code = certified(app, factory)
    fire_clearance_many([clearance], "start_reevaluation", Actor.system("rescreening"), now=datetime.now(UTC),
                        reason="periodic re-screening")  # fmt: skip
    db.session.add(StatusEntry(code=code, status="suspended", entered_on=datetime.now(UTC).date(),
                               created_at=datetime.now(UTC)))  # fmt: skip
    db.session.commit()
    fire_clearance(clearance, "confirm", OFFICER, reason="Nothing new")
    db.session.commit()
    assert _entries() == [(code, "suspended"), (code, "reinstated")]
