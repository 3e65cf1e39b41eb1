"""Officers find files by reference, name or national register number, sort and filter the queue, claim a
file and start the review of several ticked files at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.db import db
from screening.organisations.models import Organisation
from screening.people.identifiers import parse_national_number
from tests.conftest import csrf_token, fresh


def _references(page: str) -> list[str]:
    return re.findall(r">(SCR-\d{4}-\d{6})</a>", page)


def _statements(app) -> list[str]:
    seen: list[str] = []
    event.listen(app.extensions["screening.engine"], "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


@pytest.fixture
def files(factory):
    """Three open files of two organisations, the first for Mehmet Çelik."""
    now = datetime.now(UTC)
    first = factory.application(
        "submitted",
        person=factory.person_details(given_names="Mehmet", family_name="Çelik"),
        now=now - timedelta(days=3),
    )
    second = factory.application("submitted", now=now - timedelta(days=2))
    third = factory.application("in_review", now=now - timedelta(days=1))
    return first, second, third


def _number(application) -> str:
    from screening.extensions import vault

    fresh()
    person = db.session.get(Application, application.id).person_id
    from screening.people.models import Person

    return vault().decrypt(db.session.get(Person, person).national_number_encrypted)


def test_find_by_national_register_number_through_the_keyed_hash(app, files, as_role):
    client, _ = as_role("officer")
    first, second, _third = files
    number = parse_national_number(_number(first))
    seen = _statements(app)
    for typed in (number.formatted, number.digits, f"  {number.formatted.replace('.', ' ')} "):
        assert _references(client.get("/applications", query_string={"q": typed}).text) == [first.reference]
    searches = [sql for sql in seen if "persons" in sql and "applications" in sql and "identity_hash" in sql]
    assert searches and not [sql for sql in seen if "national_number_encrypted" in sql.split("WHERE", 1)[-1]]
    # a wrong check number finds nothing (and says so), never a 500
    wrong = number.digits[:9] + f"{(int(number.digits[9:]) + 1) % 100:02d}"
    page = client.get("/applications", query_string={"q": wrong})
    assert page.status_code == 200 and _references(page.text) == [] and "No application matches." in page.text
    # an employer of another organisation finds nothing with the same number
    employer, _ = as_role("requester")
    assert _references(employer.get("/applications", query_string={"q": number.digits}).text) == []


@pytest.mark.parametrize("typed", ["celik", "Çelik", "mehm", "MEHMET ÇEL", "celik meh"])
def test_find_by_given_or_family_name_accents_ignored(files, as_role, typed):
    client, _ = as_role("officer")
    assert _references(client.get("/applications", query_string={"q": typed}).text) == [files[0].reference]


def test_the_people_finder_is_in_the_officers_menu(as_role):
    client, _ = as_role("officer")
    assert 'href="/people"' in client.get("/queue").text
    requester, _ = as_role("requester")
    assert 'href="/people"' not in requester.get("/applications").text


def test_queue_sorted_by_due_date_and_organisation(make_app, files, as_role):
    client, _ = as_role("officer")
    first, second, third = files
    by_submission = _references(client.get("/queue").text)
    assert by_submission == [first.reference, second.reference, third.reference]
    fresh()
    due = {a.id: db.session.get(Application, a.id).due_on for a in files}
    expected = [a.reference for a in sorted(files, key=lambda a: (due[a.id], a.id))]
    assert _references(client.get("/queue?sort=due").text) == expected
    from screening.organisations.models import Organisation

    names = {a.id: db.session.get(Organisation, a.organisation_id).name for a in files}
    expected = [a.reference for a in sorted(files, key=lambda a: (names[a.id], a.id))]
    assert _references(client.get("/queue?sort=organisation").text) == expected
    assert client.get("/queue?sort=nonsense&mine=yes&page=-3").status_code == 200


def _queue_form(client, query: str = ""):
    page = client.get(f"/queue{query}")
    assert page.status_code == 200
    return page.text, csrf_token(page.text)


def _version(page: str, application) -> str:
    return re.search(rf'value="{application.id}:(\d+)"', page)[1]


def test_claim_is_recorded_audited_and_shown(files, as_role):
    client, officer = as_role("officer")
    other, colleague = as_role("officer")
    first, second, _third = files
    page, token = _queue_form(client)
    response = client.post(
        f"/queue/claim/{first.id}", data={"csrf_token": token, "version": _version(page, first), "sort": "due"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/queue?sort=due")
    fresh()
    stored = db.session.get(Application, first.id)
    assert stored.assigned_to_id == officer.id and stored.assigned_at is not None
    (entry,) = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "claim", AuditEntry.object_id == first.id)
    )
    assert entry.actor == officer.username
    mine = client.get("/queue?mine=1").text
    assert _references(mine) == [first.reference] and "assigned to you" in mine
    assert officer.display_name in other.get("/queue").text
    file_page = other.get(f"/applications/{first.id}").text  # the colleague opening the file sees who has it
    assert re.search(r'id="assignee">' + re.escape(officer.display_name) + " · since", file_page)
    employer, _ = as_role("requester", db.session.get(Organisation, first.organisation_id))
    assert 'id="assignee"' not in employer.get(f"/applications/{first.id}").text
    # the colleague saw the file before the claim: the claim on that version is refused, nothing changes
    response = other.post(f"/queue/claim/{first.id}", data={"csrf_token": csrf_token(other.get("/queue").text),
                                                            "version": _version(page, first)})  # fmt: skip
    assert response.status_code == 302
    assert "Someone else changed this application meanwhile" in other.get("/queue").text
    fresh()
    assert db.session.get(Application, first.id).assigned_to_id == officer.id
    assert colleague.id != officer.id


def test_claim_refuses_bad_input_without_a_500(app, files, factory, as_role):
    client, _ = as_role("officer")
    draft = factory.application("draft")
    page, token = _queue_form(client)
    assert client.post(f"/queue/claim/{draft.id}", data={"csrf_token": token, "version": "1"}).status_code == 302
    assert "Only files in the work queue can be claimed." in client.get("/queue").text
    for version in ("", "x", "1" * 30, "\x00"):
        assert (
            client.post(f"/queue/claim/{files[0].id}", data={"csrf_token": token, "version": version}).status_code
            == 302
        )
    assert client.post(f"/queue/claim/{2**63}", data={"csrf_token": token, "version": "1"}).status_code == 404
    assert client.post(f"/queue/claim/{files[0].id}", data={"version": "1"}).status_code == 400  # no CSRF token
    requester, _ = as_role("requester")
    assert requester.post(f"/queue/claim/{files[0].id}", data={"csrf_token": token, "version": "1"}).status_code in (
        400, 403,
    )  # fmt: skip
    fresh()
    assert db.session.get(Application, files[0].id).assigned_to_id is None
    assert db.session.get(Application, draft.id).assigned_to_id is None


def test_start_the_review_of_several_ticked_files(files, as_role):
    client, officer = as_role("officer")
    first, second, third = files
    page, token = _queue_form(client)
    ticked = [f"{a.id}:{_version(page, a)}" for a in (first, second)]
    response = client.post("/queue/start-review", data={"csrf_token": token, "file": ticked})
    assert response.status_code == 302
    assert "Reviews started for 2 files" in client.get("/queue").text
    fresh()
    for application in (first, second):
        stored = db.session.get(Application, application.id)
        assert (stored.state, stored.assigned_to_id) == ("in_review", officer.id)
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == application.id)))
        assert {"start_review", "claim"} <= actions


def test_bulk_start_is_all_or_nothing(files, factory, as_role):
    client, _ = as_role("officer")
    first, second, third = files
    page, token = _queue_form(client)
    cases = [
        [f"{first.id}:{_version(page, first)}", f"{third.id}:{_version(page, third)}"],  # third is in review already
        [f"{first.id}:{_version(page, first)}", f"{second.id}:999"],  # second changed since the page
        [f"{first.id}:{_version(page, first)}", f"{2**63}:1"],  # no such file
        [f"{first.id}:{_version(page, first)}", "x:1"],
        [],
    ]
    for ticked in cases:
        assert client.post("/queue/start-review", data={"csrf_token": token, "file": ticked}).status_code == 302
        fresh()
        assert db.session.get(Application, first.id).state == "submitted", ticked
        assert db.session.get(Application, first.id).assigned_to_id is None
    assert "Tick at least one file." in client.get("/queue").text


def test_the_queue_costs_the_same_statements_for_2_and_6_files(app, factory, as_role):
    client, _officer = as_role("officer")
    seen = _statements(app)
    counts = []
    for total in (2, 6):
        for _ in range(total - (2 if counts else 0)):
            factory.application("submitted")
        for query in ("/queue?sort=due", "/queue?sort=organisation", "/queue?mine=1"):
            seen.clear()
            assert client.get(query).status_code == 200
            counts.append((query, len(seen)))
    assert counts[:3] == counts[3:]


def test_every_search_reads_an_index_never_a_scan(app, backend):
    """The plans of the three searches: the keyed hash's unique index, the two name indexes (OR), the
    references' unique index; and the jobs page's changed runs from their partial index. On PostgreSQL,
    whose planner prefers a scan of an empty table, sequential scans are priced out (``enable_seqscan``
    off) so the plan shows whether an index can answer at all, which is what a grown table relies on."""
    from sqlalchemy import text

    from screening.applications import queries
    from screening.jobs.models import JobRun
    from screening.jobs.views import CHANGED

    def plan(statement) -> str:
        sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
        if backend == "sqlite":
            return " | ".join(row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        nodes, shown = [db.session.scalar(text("EXPLAIN (FORMAT JSON) " + sql))[0]["Plan"]], []
        while nodes:
            node = nodes.pop()
            kind = node["Node Type"]
            shown.append(f"SCAN {node.get('Relation Name')}" if kind == "Seq Scan" else kind)
            shown += [f"USING INDEX {node['Index Name']}"] if "Index Name" in node else []
            nodes += node.get("Plans", [])
        db.session.rollback()
        return " | ".join(shown)

    def search(query: str) -> str:
        return plan(queries.searched(select(Application.id), query).limit(51))

    if backend == "postgresql":
        # The planner's estimates of tables never analysed (as a grown table's, about ten pages each), whatever
        # the earlier tests left: the suite empties tables by DELETE, which keeps their statistics and pages.
        db.session.execute(text("TRUNCATE persons, applications, job_runs CASCADE"))
        db.session.commit()

    assert "USING INDEX ix_persons_search_name" in search("celik")
    assert "USING INDEX ix_persons_search_given" in search("celik")
    by_number = search("85.07.30-033.28")
    assert "SCAN persons" not in by_number
    assert ("identity_hash=?" if backend == "sqlite" else "USING INDEX uq_persons_identity_hash") in by_number
    assert "SCAN" not in search("SCR-2026-0001")
    assert "ix_job_runs_changed" in plan(select(JobRun.id).where(CHANGED).order_by(JobRun.id.desc()).limit(51))
