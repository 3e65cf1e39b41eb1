"""Chromium stories of the working day: an officer finds a file by national register number and claims it;
an admin runs a job from the jobs page; an officer builds the weekly report from the reports page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.db import db
from screening.extensions import vault
from screening.jobs.models import JobRun
from screening.people.identifiers import parse_national_number
from screening.people.models import Person
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD, fresh

pytestmark = pytest.mark.browser


def test_an_officer_finds_a_file_by_national_register_number_and_claims_it(app, factory, live_server, new_page):
    officer = factory.user("officer")
    wanted = factory.application("submitted")
    others = [factory.application("submitted") for _ in range(2)]
    fresh()
    person = db.session.get(Person, db.session.get(Application, wanted.id).person_id)
    number = parse_national_number(vault().decrypt(person.national_number_encrypted)).formatted
    page = new_page()
    sign_in(page, live_server, officer.username, PASSWORD)
    page.get_by_role("link", name="Work queue").click()
    page.get_by_label("Find a file").fill(number)
    page.get_by_role("button", name="Search").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)  # waits for the answer; count() alone could read the page mid-load
    assert wanted.reference in rows.first.inner_text()
    screenshot(page, "queue-search-by-number-desktop")
    page.get_by_role("link", name="Work queue").click()
    page.get_by_role("button", name=f"Claim {wanted.reference}").click()
    page.wait_for_load_state()
    expect(page.get_by_text(f"Application {wanted.reference} is assigned to you.")).to_be_visible()
    page.get_by_role("link", name="Assigned to me").click()
    page.wait_for_load_state()
    mine = page.locator("tbody tr")
    expect(mine).to_have_count(1)
    assert officer.display_name in mine.first.inner_text()
    screenshot(page, "queue-assigned-to-me-desktop")
    phone = new_page(width=390, height=844)
    sign_in(phone, live_server, officer.username, PASSWORD)
    phone.goto(f"{live_server}/queue?sort=due")
    screenshot(phone, "queue-sorted-by-due-phone")
    fresh()
    assert db.session.get(Application, wanted.id).assigned_to_id == officer.id
    assert all(db.session.get(Application, a.id).assigned_to_id is None for a in others)
    claims = list(db.session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "claim")))
    assert claims == [officer.username]


def test_an_officer_starts_the_review_of_two_ticked_files(app, factory, live_server, new_page):
    officer = factory.user("officer")
    files = [factory.application("submitted") for _ in range(3)]
    page = new_page()
    sign_in(page, live_server, officer.username, PASSWORD)
    page.goto(f"{live_server}/queue")
    for application in files[:2]:
        page.get_by_label(f"Select file {application.reference}").check()
    page.get_by_role("button", name="Start the review of the ticked files").click()
    page.wait_for_load_state()
    expect(page.get_by_text(re.compile(r"Reviews started for 2 files"))).to_be_visible()
    fresh()
    states = [db.session.get(Application, a.id).state for a in files]
    assert states == ["in_review", "in_review", "submitted"]


def test_an_admin_runs_a_job_from_the_page(app, factory, live_server, new_page):
    admin = factory.user("admin")
    page = new_page()
    sign_in(page, live_server, admin.username, PASSWORD)
    page.goto(f"{live_server}/admin/jobs")
    row = page.locator("tr", has_text="consent_reminders").first
    assert "every day at 08:00" in row.inner_text()
    row.get_by_role("button", name="Run now").click()
    page.wait_for_load_state()
    expect(page.get_by_text("consent_reminders ran now: 0 items handled.")).to_be_visible()
    screenshot(page, "jobs-run-now-desktop")
    phone = new_page(width=390, height=844)
    sign_in(phone, live_server, admin.username, PASSWORD)
    phone.goto(f"{live_server}/admin/jobs")
    screenshot(phone, "jobs-phone")
    fresh()
    (run,) = db.session.scalars(select(JobRun).where(JobRun.job == "consent_reminders"))
    assert run.trigger == "manual" and run.finished_at is not None
    assert db.session.scalar(select(AuditEntry.reason).where(AuditEntry.action == "run_job")) == "consent_reminders"


def test_an_officer_builds_the_weekly_report_from_the_page(app, factory, live_server, new_page):
    officer = factory.user("officer")
    page = new_page()
    sign_in(page, live_server, officer.username, PASSWORD)
    page.goto(f"{live_server}/reports")
    page.get_by_role("button", name="Build last week's operations report now").click()
    page.wait_for_load_state()
    expect(page.get_by_text("1 report built.")).to_be_visible()
    assert page.get_by_role("link", name="PDF").count() == 1
    screenshot(page, "reports-built-desktop")
