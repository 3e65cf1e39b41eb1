"""The screening manager imports the register from a file: upload, a preview that stores nothing, confirm,
the job writes it (the page polls its progress), the same file again changes nothing, a report to
download. Another organisation's import answers 404; CSRF; audited; nl/fr."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, insert, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from scheduler.runner import run_job
from screening.audit.models import AuditEntry
from screening.catalogue.models import CriticalFunction
from screening.db import db
from screening.imports.models import RegisterImport
from screening.people.identifiers import make_national_number
from screening.workforce import operations as workforce_operations
from screening.workforce.models import WorkforceMember
from tests.conftest import csrf_token, fresh
from tests.imports.test_tabular import DUTCH, excel_csv

BORN = date(1985, 7, 30)
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def register_rows(count: int, bad: frozenset[int] = frozenset()) -> list[list[str]]:
    rows = []
    for n in range(count):
        number = make_national_number(BORN, n + 1)
        if n in bad:
            number = number[:-1] + str((int(number[-1]) + 1) % 10)
        rows.append([f"P{n:03d}", f"Müller {n}", "Zoë", "30/07/1985", number, "DOCK", "01/02/2024", ""])
    return rows


def csv_file(rows: list[list[str]]) -> bytes:
    return excel_csv([DUTCH, *rows], encoding="cp1252").getvalue()


@pytest.fixture
def manager(as_role, factory):
    factory.function(code="DOCK")
    return as_role("requester")


def upload(client, content: bytes, name: str = "register.csv"):
    page = client.get("/register/imports")
    assert page.status_code == 200
    data = MultiDict([("csrf_token", csrf_token(page.text)), ("document", FileStorage(io.BytesIO(content), name))])
    # encoded in memory: the test client would spool a large body to a temporary file it never closes
    boundary, body = encode_multipart(data)
    return client.post("/register/imports", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def run_imports(app) -> None:
    assert run_job(app, "register_imports", holder="test", now=NOW).status == "done"
    fresh()


def decide(client, import_id: int, decision: str):
    page = client.get(f"/register/imports/{import_id}").text
    version = page.split('name="version" type="hidden" value="', 1)[1].split('"', 1)[0] if "version" in page else "1"
    return client.post(
        f"/register/imports/{import_id}/{decision}", data={"csrf_token": csrf_token(page), "version": version}
    )


def members() -> list[WorkforceMember]:
    fresh()
    return list(db.session.scalars(select(WorkforceMember).order_by(WorkforceMember.personnel_number)))


def imported(import_id: int) -> RegisterImport:
    fresh()
    return db.session.get(RegisterImport, import_id)


def test_upload_preview_confirm_and_the_same_file_again(app, manager):
    client, requester = manager
    assert 'href="/register/imports"' in client.get(f"/workforce/{requester.organisation_id}").text
    content = csv_file(register_rows(12, bad=frozenset({3, 7})))
    response = upload(client, content)
    assert response.status_code == 302
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/register/imports/{import_id}")
    assert 'id="import-progress"' in page.text  # the job has not run: a progress bar
    assert client.get(f"/register/imports/{import_id}/progress").json == {"state": "checking", "done": 0, "total": 0}

    run_imports(app)
    job = imported(import_id)
    assert (job.state, job.to_add, job.errors, job.rows_total) == ("checked", 10, 2, 12)
    assert members() == []  # the preview stores nothing in the register
    assert client.get(f"/register/imports/{import_id}/progress").json["state"] == "checked"
    page = client.get(f"/register/imports/{import_id}")
    assert "Nothing has been written to your register yet." in page.text
    assert "<td>5</td>" in page.text  # row 5 of the file (the header is row 1): the fourth person
    assert "This national register number has a wrong check number." in page.text
    assert "Write 10 rows to the register" in page.text

    assert decide(client, import_id, "confirm").status_code == 302
    assert imported(import_id).state == "applying"
    run_imports(app)
    job = imported(import_id)
    assert (job.state, job.content) == ("applied", None)
    stored = members()
    assert len(stored) == 10
    assert stored[0].family_name == "Müller 0"
    assert stored[0].organisation_id == requester.organisation_id
    versions = [member.version for member in stored]

    again = int(upload(client, content).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    job = imported(again)
    assert (job.to_add, job.to_update, job.unchanged, job.errors) == (0, 0, 10, 2)
    assert decide(client, again, "confirm").status_code == 302
    assert imported(again).state == "applied"  # nothing to write: no job needed
    run_imports(app)
    assert [member.version for member in members()] == versions  # the same file changed nothing

    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("add_member") == 10
    assert "change_member" not in actions
    assert actions.count("upload_register_import") == 2
    assert actions.count("confirm_register_import") == 2


def test_a_changed_row_is_an_update_and_a_leaver_gets_the_end_date(app, manager):
    client, _requester = manager
    rows = register_rows(3)
    first = int(upload(client, csv_file(rows)).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    decide(client, first, "confirm")
    run_imports(app)
    rows[0][1] = "Peeters"
    rows[1][7] = "31/10/2026"
    second = int(upload(client, csv_file(rows)).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    job = imported(second)
    assert (job.to_add, job.to_update, job.unchanged) == (0, 2, 1)
    page = client.get(f"/register/imports/{second}?show=update")
    assert "Familienaam" not in page.text  # English page: the English column names
    assert "Family name" in page.text and "End date" in page.text
    decide(client, second, "confirm")
    run_imports(app)
    stored = members()
    assert stored[0].family_name == "Peeters"
    assert stored[1].ended_on == date(2026, 10, 31)
    assert imported(second).to_update == 2


def test_a_repeated_personnel_number_and_a_whole_file_refused(app, manager):
    client, _requester = manager
    rows = register_rows(3)
    rows[2][0] = rows[0][0]
    job_id = int(upload(client, csv_file(rows)).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    assert (imported(job_id).errors, imported(job_id).to_add) == (2, 1)
    page = client.get(f"/register/imports/{job_id}")
    assert "The same personnel number is also on row 4." in page.text
    assert "The same personnel number is also on row 2." in page.text

    wrong = int(upload(client, b"Naam;Voornaam\r\nA;B\r\n").headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    job = imported(wrong)
    assert (job.state, job.content) == ("refused", None)
    page = html.unescape(client.get(f"/register/imports/{wrong}").text)
    assert "The column “Naam” is not one of the template's columns." in page


def test_an_xlsx_with_a_formula_cell_shows_the_cell(app, manager, tmp_path):
    client, _requester = manager
    book = openpyxl.Workbook()
    book.active.append(DUTCH)
    book.active.append(["P1", "Peeters", "An", BORN, make_national_number(BORN, 1), "DOCK", date(2024, 2, 1), None])
    book.active.append(["P2", "=A1", "Jan", BORN, make_national_number(BORN, 2), "DOCK", date(2024, 2, 1), None])
    out = io.BytesIO()
    book.save(out)
    job_id = int(upload(client, out.getvalue(), "register.xlsx").headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    assert (imported(job_id).to_add, imported(job_id).errors) == (1, 1)
    assert "This cell holds a formula without a value" in client.get(f"/register/imports/{job_id}").text


def test_the_report_names_each_wrong_cell_and_defuses_formulas(app, manager):
    client, _requester = manager
    rows = register_rows(2, bad=frozenset({1}))
    rows[0][1] = '=HYPERLINK("http://x")'
    job_id = int(upload(client, csv_file(rows)).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    report = client.get(f"/register/imports/{job_id}/report.csv")
    assert report.status_code == 200
    assert report.headers["Content-Disposition"].startswith("attachment")
    lines = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Row", "Personnel number", "Family name", "Given names", "Result", "Column", "Message"]
    assert lines[1][:5] == ["2", "P000", '\'=HYPERLINK("http://x")', "Zoë", "To add"]  # defused
    assert lines[2][4:] == ["Error", "National register number",
                            "This national register number has a wrong check number."]  # fmt: skip
    fresh()
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export_register_import_report")
        )
        == 1
    )


def test_discard_erases_the_file_and_stores_nothing(app, manager):
    client, _requester = manager
    job_id = int(upload(client, csv_file(register_rows(2))).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    assert decide(client, job_id, "discard").status_code == 302
    job = imported(job_id)
    assert (job.state, job.content) == ("discarded", None)
    assert members() == []
    assert decide(client, job_id, "confirm").status_code in (302, 400)  # the form is gone: nothing happens
    run_imports(app)
    assert members() == []


def test_a_preview_nobody_confirms_is_discarded_after_keep_days(app, manager):
    client, _requester = manager
    job_id = int(upload(client, csv_file(register_rows(2))).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    job = imported(job_id)
    job.updated_at = NOW - timedelta(days=7, seconds=1)
    db.session.commit()
    run_imports(app)
    job = imported(job_id)
    assert (job.state, job.content) == ("discarded", None)
    assert members() == []
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "discard_register_import")).one()
    assert entry.actor == "system:register_imports"


def test_another_organisation_cannot_see_or_confirm_the_import(app, manager, as_role):
    client, _requester = manager
    job_id = int(upload(client, csv_file(register_rows(2))).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    other, _ = as_role("requester")
    for path in ("", "/progress", "/report.csv"):
        assert other.get(f"/register/imports/{job_id}{path}").status_code == 404
    token = csrf_token(other.get("/register/imports").text)
    assert (
        other.post(f"/register/imports/{job_id}/confirm", data={"csrf_token": token, "version": "1"}).status_code == 404
    )
    hr, _ = as_role("hr")
    assert hr.get("/register/imports").status_code == 403
    assert imported(job_id).state == "checked"


def test_posts_without_the_csrf_token_are_refused(app, manager):
    client, _requester = manager
    response = client.post("/register/imports", data={"document": (io.BytesIO(b"x"), "a.csv")},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 400
    job_id = int(upload(client, csv_file(register_rows(1))).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    assert client.post(f"/register/imports/{job_id}/confirm", data={"version": "1"}).status_code == 400
    assert imported(job_id).state == "checked"


def test_an_empty_or_too_large_file_is_refused_at_the_field(make_app, factory):
    from tests.conftest import data_context, sign_in

    app = make_app(imports={"max_mb": 1})
    with data_context(app):
        client = sign_in(app.test_client(), factory.user("requester"))
        empty = upload(client, b"")
        assert empty.status_code == 422
        assert "The file is empty" in empty.text
        large = upload(client, b"x" * (1024 * 1024 + 1))
        assert large.status_code == 422
        assert "larger than 1 MB" in large.text
        assert db.session.scalar(select(func.count()).select_from(RegisterImport)) == 0


@pytest.mark.parametrize(("locale", "header", "message"), [
    ("nl", "Personeelsnummer", "Het controlegetal van dit rijksregisternummer klopt niet."),
    ("fr", "Numéro de personnel", "Le nombre de contrôle de ce numéro de registre national est incorrect."),
])  # fmt: skip
def test_templates_and_preview_in_the_managers_language(app, manager, locale, header, message):
    """The templates' columns and the preview's messages in the manager's language (the file's own rows were
    checked in the language the manager had when uploading it)."""
    client, _requester = manager
    page = client.get("/register/imports")
    client.post("/language", data={"csrf_token": csrf_token(page.text), "locale": locale, "next": "/register/imports"})
    template = client.get("/register/imports/template.csv")
    assert template.data.decode("utf-8-sig").startswith(header)
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/register/imports/template.xlsx").data)).active
    assert sheet["A1"].value == header
    job_id = int(upload(client, csv_file(register_rows(2, bad=frozenset({0})))).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    page = client.get(f"/register/imports/{job_id}").text
    assert message in page
    assert header in page


def test_rows_the_register_refuses_when_written_are_failed_with_its_message(app, manager):
    client, _requester = manager
    job_id = int(upload(client, csv_file(register_rows(3))).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    decide(client, job_id, "confirm")
    function = db.session.scalar(select(CriticalFunction).where(CriticalFunction.code == "DOCK"))
    function.active = False  # the function left the catalogue between the preview and the write
    db.session.commit()
    run_imports(app)
    job = imported(job_id)
    assert (job.state, job.failed, job.to_add) == ("applied", 3, 0)
    assert members() == []
    page = client.get(f"/register/imports/{job_id}?show=error").text
    assert "Choose a critical function from the catalogue." in page
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "add_member")) == 0


def test_a_number_added_meanwhile_writes_the_batch_row_by_row_each_once(app, manager, monkeypatch):
    client, requester = manager
    job_id = int(upload(client, csv_file(register_rows(4))).headers["Location"].rsplit("/", 1)[1])
    run_imports(app)
    decide(client, job_id, "confirm")
    organisation_id, function_id = requester.organisation_id, db.session.scalar(select(CriticalFunction.id))
    db.session.rollback()
    locks = []

    def someone_adds_p002(*instances):
        """Another manager's row with P002 lands between the batch's read and its write."""
        if not locks:
            db.session.execute(insert(WorkforceMember), [{
                "organisation_id": organisation_id, "personnel_number": "P002", "given_names": "Ann",
                "family_name": "Other", "search_name": "other ann", "search_given": "ann other",
                "date_of_birth": BORN, "identity_hash": "x", "national_number_encrypted": "x",
                "national_number_masked": "x", "function_id": function_id,
                "started_on": date(2024, 2, 1), "version": 1, "created_at": NOW, "updated_at": NOW,
            }])  # fmt: skip
        locks.append(instances)
        return real_lock(*instances)

    real_lock = workforce_operations.lock_rows
    monkeypatch.setattr(workforce_operations, "lock_rows", someone_adds_p002)
    run_imports(app)
    job = imported(job_id)
    assert (job.state, job.failed) == ("applied", 0)
    stored = members()
    assert [(m.personnel_number, m.family_name) for m in stored][2] == ("P002", "Müller 2")  # the other row undone
    assert [m.personnel_number for m in stored] == ["P000", "P001", "P002", "P003"]
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "add_member")) == 4
