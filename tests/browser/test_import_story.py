"""A screening manager imports a 200-row register with 5 bad rows in Chromium: the progress bar follows the
job by itself (polling, then reloading), the preview shows the errors at their rows, the confirmed rows
reach the register; the upload page and the preview have no serious axe violation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from scheduler.runner import run_job
from screening.db import db
from screening.workforce.models import WorkforceMember
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_accessibility import _problems
from tests.conftest import PASSWORD, fresh
from tests.imports.test_pages import csv_file, register_rows

pytestmark = pytest.mark.browser


def test_a_manager_uploads_checks_and_confirms_a_register_file(app, factory, live_server, new_page, tmp_path):
    factory.function(code="DOCK")
    manager = factory.user("requester")
    path = tmp_path / "register.csv"
    path.write_bytes(csv_file(register_rows(200, bad=frozenset({10, 50, 90, 130, 170}))))
    page = new_page()
    sign_in(page, live_server, manager.username, PASSWORD)
    page.goto(f"{live_server}/workforce/{manager.organisation_id}")
    page.get_by_role("link", name="Import from a file").click()
    problems = _problems(page, "en")
    page.get_by_label("Register file (CSV or XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_selector("progress#import-bar")
    assert run_job(app, "register_imports", holder="test", now=datetime.now(UTC)).status == "done"
    page.get_by_text("Nothing has been written to your register yet.").wait_for()  # the page reloaded itself
    expect(page.get_by_role("link", name="Errors 5")).to_be_visible()
    expect(page.get_by_role("link", name="To add 195")).to_be_visible()
    assert page.get_by_text("This national register number has a wrong check number.").count() == 5
    screenshot(page, "import-preview")
    problems += _problems(page, "en")
    page.goto(page.url + "?show=add")
    problems += _problems(page, "en")
    assert not problems, "\n".join(problems)
    fresh()
    assert db.session.scalar(select(func.count()).select_from(WorkforceMember)) == 0

    page.get_by_role("button", name="Write 195 rows to the register").click()
    page.wait_for_selector("progress#import-bar")
    assert run_job(app, "register_imports", holder="test", now=datetime.now(UTC)).status == "done"
    page.get_by_text("Imported ·").wait_for()
    fresh()
    assert db.session.scalar(select(func.count()).select_from(WorkforceMember)) == 195
