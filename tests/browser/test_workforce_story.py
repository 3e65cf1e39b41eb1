"""Issue 17's story in Chromium: a screening manager uploads a 200-row register with 5 bad rows, corrects them
by uploading the whole corrected file again, reads the compliance view (covered, in progress, not requested,
overdue), requests screenings for people not requested in one step, records a leaver and downloads the fee
statement; the officer's port-wide summary shows the same overdue count as the manager's view."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from scheduler.runner import run_job
from screening.clock import today
from screening.people.identifiers import make_national_number
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD
from tests.imports.test_pages import BORN, csv_file, register_rows

pytestmark = pytest.mark.browser

BAD = frozenset({10, 50, 90, 130, 170})
#: Rows of the register in a function whose deadline is still ahead (every tenth, from row 9).
LATER = frozenset(range(9, 200, 10))
COVERED, IN_PROGRESS = (0, 1, 2), (3, 4)


def _register(bad: frozenset[int]) -> bytes:
    rows = register_rows(200, bad=bad)
    for n in LATER:
        rows[n][5] = "CRANE"
    return csv_file(rows)


def _seed_files(factory, manager, dock) -> None:
    """Files of this organisation on people of the register, made before the upload: three positive advices
    (covered, and charged on this month's statement) and two waiting for consent."""
    for n, state in [*((n, "positive") for n in COVERED), *((n, "awaiting_consent") for n in IN_PROGRESS)]:
        person = factory.person_details(
            given_names="Zoë", family_name=f"Müller {n}", date_of_birth=BORN,
            national_number=make_national_number(BORN, n + 1),
        )  # fmt: skip
        factory.application(state, requester=manager, person=person, function=dock)


def _import(app, page, path: Path) -> None:
    """Upload the file, let the scheduler's job check it; the page reloads itself to the preview."""
    page.get_by_label("Register file (CSV or XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_selector("progress#import-bar")
    assert run_job(app, "register_imports", holder="test", now=datetime.now(UTC)).status == "done"
    page.get_by_text("Nothing has been written to your register yet.").wait_for()


def _write(app, page, rows: int) -> None:
    page.get_by_role("button", name=f"Write {rows} rows to the register").click()
    page.wait_for_selector("progress#import-bar")
    assert run_job(app, "register_imports", holder="test", now=datetime.now(UTC)).status == "done"
    page.get_by_text("Imported ·").wait_for()


def _counts(page) -> dict[str, int]:
    """The standing tabs' badges and the overdue filter's number, as the manager reads them."""
    tabs = page.get_by_role("list", name="Standing").get_by_role("link")
    shown = {}
    for text in tabs.all_inner_texts():
        label, number = text.rsplit(" ", 1)
        shown[label.strip()] = int(number)
    overdue = re.search(r"Only past the deadline \((\d+)\)", page.get_by_text("Only past the deadline").inner_text())
    assert overdue is not None
    shown["Overdue"] = int(overdue.group(1))
    return shown


def test_a_manager_keeps_the_register_and_the_authority_sees_the_same_overdue_count(
    app, factory, live_server, new_page, tmp_path
):
    day = today()
    dock = factory.function(code="DOCK", required_from=date(2025, 1, 1))  # past: the uncovered are overdue
    factory.function(code="CRANE", required_from=day + timedelta(days=90))
    manager = factory.user("requester")
    officer = factory.user("officer")
    _seed_files(factory, manager, dock)
    org = manager.organisation_id
    first, corrected = tmp_path / "register.csv", tmp_path / "register-corrected.csv"
    first.write_bytes(_register(BAD))
    corrected.write_bytes(_register(frozenset()))

    page = new_page()
    sign_in(page, live_server, manager.username, PASSWORD)
    page.goto(f"{live_server}/workforce/{org}")
    page.get_by_role("link", name="Import from a file").click()
    _import(app, page, first)
    expect(page.get_by_role("link", name="Errors 5")).to_be_visible()
    _write(app, page, 195)

    # The corrected file again, whole: only the five corrected rows are new, the rest is unchanged.
    page.goto(f"{live_server}/workforce/{org}")
    page.get_by_role("link", name="Import from a file").click()
    _import(app, page, corrected)
    expect(page.get_by_role("link", name="Errors 0")).to_be_visible()
    expect(page.get_by_role("link", name="To add 5")).to_be_visible()
    expect(page.get_by_role("link", name="Unchanged 195")).to_be_visible()
    _write(app, page, 5)

    page.goto(f"{live_server}/workforce/{org}/compliance")
    overdue = 200 - len(LATER) - len(COVERED)
    assert _counts(page) == {
        "All": 200, "Covered": 3, "In progress": 2, "Negative advice": 0, "Consent refused": 0,
        "Not requested": 195, "Overdue": overdue,
    }  # fmt: skip
    screenshot(page, "workforce-compliance")

    # Three people not requested, ticked on one page, requested in one step after the review page.
    page.get_by_role("link", name="Not requested 195").click()
    page.locator('input[name="member"]').nth(0).wait_for()
    for n in range(3):
        page.locator('input[name="member"]').nth(n).check()
    page.get_by_role("button", name="Request screenings for the ticked people").click()
    page.get_by_role("heading", name="Request screenings").wait_for()
    for fieldset in page.locator("fieldset").all():
        fieldset.get_by_label("Nationality").select_option("BE")
        fieldset.get_by_label("Language of the person").select_option("fr")
    screenshot(page, "workforce-request-review")
    page.get_by_role("button", name="Submit 3 applications").click()
    page.get_by_text("3 screenings requested").wait_for()
    counts = _counts(page)
    assert (counts["In progress"], counts["Not requested"], counts["Overdue"]) == (5, 192, overdue)

    # A leaver: an overdue person not requested (row 160, a DOCK row) left yesterday.
    page.get_by_role("searchbox").fill("P160")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Müller 160, Zoë").click()
    page.get_by_label("Last day in the function").fill((day - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Record the last day").click()
    page.get_by_text("Recorded: the last day of Zoë Müller 160").wait_for()
    page.goto(f"{live_server}/workforce/{org}/compliance")
    counts = _counts(page)
    assert (counts["All"], counts["Not requested"], counts["Overdue"]) == (199, 191, overdue - 1)

    # The fee statement of this month: the three positive advices, downloaded as CSV and PDF.
    page.goto(f"{live_server}/fees?month={day.isoformat()[:7]}")
    page.get_by_role("heading", name=re.compile("Fee statement")).wait_for()
    total = page.locator("tfoot tr")
    assert re.search(r"Total\s+3\s+€\s?150", total.inner_text()), total.inner_text()
    screenshot(page, "workforce-fees")
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    statement = Path(csv_download.value.path()).read_text(encoding="utf-8")
    assert csv_download.value.suggested_filename.endswith(f"-{day.isoformat()[:7]}.csv")
    assert '"positive","5000","3","15000"' in statement and '"total","","3","15000"' in statement
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download PDF").click()
    assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF")

    # The authority's port-wide summary counts the same people past their deadline.
    officer_page = new_page()
    sign_in(officer_page, live_server, officer.username, PASSWORD)
    officer_page.goto(f"{live_server}/workforce")
    officer_page.get_by_text(
        f"Port-wide, {overdue - 1} people in a critical function today have no valid advice past their "
        "function's deadline."
    ).wait_for()
    row = officer_page.get_by_role("row", name=re.compile(manager.organisation.name))
    assert row.get_by_role("cell").all_inner_texts()[1:4] == ["200", "199", str(overdue - 1)]
    screenshot(officer_page, "workforce-port-summary")
    row.get_by_role("link", name="Compliance").click()
    assert _counts(officer_page) == counts  # the authority's view of the organisation: the manager's counts
