"""The whole story of a file in a real browser, as its people live it: the requester's new application, the
person's consent through the link (on a phone), the officer's advice, HR's certificate download; a negative
file with an appeal; and role isolation seen from the browser. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from screening.applications.models import Application
from screening.clearances.models import Clearance
from screening.db import db
from screening.organisations.models import Organisation
from screening.people.identifiers import make_national_number
from tests.browser.conftest import person_link, screenshot, sign_in
from tests.conftest import PASSWORD, fresh

pytestmark = pytest.mark.browser


def _stored(application_id: int) -> Application:
    fresh()
    return db.session.scalar(select(Application).where(Application.id == application_id))


def test_positive_story_to_the_certificate(app, factory, live_server, new_page):
    org = factory.organisation(name="Antwerp Terminal Services NV")
    requester = factory.user("requester", org)
    hr = factory.user("hr", org)
    officer = factory.user("officer")
    function = factory.function()

    # The requester fills in the new application and submits it.
    page = new_page()
    sign_in(page, live_server, requester.username, PASSWORD)
    page.get_by_role("link", name="New application").first.click()
    page.get_by_label("Given names").fill("Anna")
    page.get_by_label("Family name").fill("Nowak-Wiśniewska")
    page.get_by_label("Date of birth").fill("1990-05-06")
    page.get_by_label("Nationality").select_option("BE")
    page.get_by_label("National register number").fill(make_national_number(date(1990, 5, 6), 42))
    page.get_by_label("E-mail address of the person").fill("anna@example.org")
    page.get_by_label("Critical function").select_option(str(function.id))
    page.get_by_role("button", name="Save as draft").click()
    page.get_by_text("saved as a draft").wait_for()
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Awaiting consent").first.wait_for()
    application_id = int(re.search(r"/applications/(\d+)", page.url).group(1))

    # The person opens the link on a phone and consents.
    person = new_page(width=390, height=844, locale="en-GB")
    person.goto(live_server + person_link(app, application_id))
    person.get_by_role("heading", name="Your consent is asked").wait_for()
    assert person.get_by_label("Your e-mail address").input_value() == "anna@example.org"  # to confirm
    consent = person.get_by_role("button", name="I consent to the verification")
    box = consent.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, "consent button off screen"
    screenshot(person, "consent-phone")
    consent.click()
    person.get_by_text("Your consent was recorded").wait_for()

    # The officer finds it in the queue and gives a positive advice.
    officer_page = new_page()
    sign_in(officer_page, live_server, officer.username, PASSWORD)
    officer_page.get_by_role("link", name="Work queue").click()
    screenshot(officer_page, "officer-queue")
    officer_page.get_by_role("link", name=re.compile(r"SCR-\d{4}-\d{6}")).first.click()
    officer_page.get_by_role("button", name="Start review").click()
    officer_page.get_by_text("Review of application", exact=False).wait_for()
    # The advice is a review step: choose the outcome, check what each party will receive, confirm.
    officer_page.get_by_role("link", name="Record the advice").click()
    officer_page.get_by_label("Positive advice", exact=True).check()
    officer_page.get_by_role("button", name="Continue").click()
    officer_page.get_by_role("button", name="Confirm: Positive advice").click()
    officer_page.get_by_text("Positive advice recorded for application", exact=False).wait_for()
    screenshot(officer_page, "application-detail")

    # The requester sees the outcome, and HR downloads the certificate.
    page.reload()
    expect(page.get_by_text("Positive advice").first).to_be_visible()
    clearance_reference = page.get_by_role("link", name=re.compile(r"CLR-\d{4}-\d{6}")).inner_text()
    hr_page = new_page()
    sign_in(hr_page, live_server, hr.username, PASSWORD)
    hr_page.get_by_role("link", name="Certificates", exact=True).click()
    row = hr_page.get_by_role("row").filter(has_text=clearance_reference)
    assert "Nowak-Wiśniewska, Anna" in row.inner_text()
    screenshot(hr_page, "certificate-export")
    with hr_page.expect_download() as download_info:
        row.get_by_role("button", name="Certificate (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    stored = _stored(application_id)
    assert stored.state == "positive"
    assert stored.clearance_id is not None


def _mailed_file_link(application_id: int) -> str:
    from sqlalchemy import select

    from screening.db import db
    from screening.notifications.models import OutboxMessage
    from tests.conftest import fresh

    fresh()
    body = db.session.scalars(
        select(OutboxMessage.body).where(
            OutboxMessage.template == "person_file_link", OutboxMessage.idempotency_key.like(f"%:{application_id}:%")
        )
    ).one()
    return re.search(r"https?://\S+(/my/\S+)", body).group(1)


def test_negative_story_with_appeal(app, factory, live_server, new_page, tmp_path):
    letter = tmp_path / "appeal-letter.pdf"
    letter.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    org = factory.organisation(name="Rotterdam Stevedoring BV")
    requester = factory.user("requester", org)
    hr = factory.user("hr", org)
    officer = factory.user("officer")
    waiting = factory.application("awaiting_consent", requester=requester)
    link = live_server + person_link(app, waiting.id)

    person = new_page(width=390, height=844, locale="en-GB")
    person.goto(link)
    person.get_by_role("button", name="I consent to the verification").click()
    person.get_by_text("Your consent was recorded").wait_for()

    officer_page = new_page()
    sign_in(officer_page, live_server, officer.username, PASSWORD)
    officer_page.goto(f"{live_server}/applications/{waiting.id}")
    officer_page.get_by_role("button", name="Start review").click()
    officer_page.get_by_role("link", name="Record the advice").click()
    officer_page.get_by_label("Negative advice", exact=True).check()
    officer_page.get_by_label("Grounds (authority only)").fill("Links with a criminal organisation (PV 2026/123).")
    officer_page.get_by_role("button", name="Continue").click()
    officer_page.get_by_role("button", name="Confirm: Negative advice").click()
    officer_page.get_by_text("Negative advice recorded for application", exact=False).wait_for()
    expect(officer_page.get_by_text("Links with a criminal organisation").first).to_be_visible()

    # The requester sees the outcome and the appeal deadline as a date and "in N days", never the grounds.
    page = new_page()
    sign_in(page, live_server, requester.username, PASSWORD)
    page.goto(f"{live_server}/applications/{waiting.id}")
    expect(page.get_by_text("Negative advice").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Appeal possible until"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"in \d+ days")).first).to_be_visible()
    assert page.get_by_text("criminal organisation").count() == 0

    # The consent link is spent; the person, through the link to their own file (mailed to the address
    # they confirmed on the consent page), sees the negative advice and until when to appeal.
    person.goto(link)
    assert person.get_by_text("Negative").count() == 0 and person.get_by_text(waiting.reference).count() == 0
    person.goto(live_server + _mailed_file_link(waiting.id))
    expect(person.get_by_text(re.compile(r"You may appeal to the appeal body until"))).to_be_visible()

    # The appeal is lodged and rejected: the advice becomes final.
    officer_page.reload()
    officer_page.get_by_role("link", name="Record appeal").click()
    officer_page.get_by_label("Date the appeal was lodged").fill(date.today().isoformat())
    officer_page.get_by_label("Appeal letter (PDF, JPEG or PNG)").set_input_files(str(letter))
    officer_page.get_by_role("button", name="Continue").click()
    officer_page.get_by_role("button", name="Confirm: Record appeal").click()
    officer_page.get_by_text("Appeal recorded for application", exact=False).wait_for()
    officer_page.get_by_role("link", name="Appeal rejected").click()
    officer_page.get_by_label("Grounds of the ruling (authority only)").fill("The appeal body confirmed the advice.")
    officer_page.get_by_role("button", name="Continue").click()
    officer_page.get_by_role("button", name="Confirm: Appeal rejected").click()
    officer_page.get_by_text("Appeal rejected for application", exact=False).wait_for()
    expect(officer_page.get_by_text("Final negative advice").first).to_be_visible()

    page.reload()
    expect(page.get_by_text("The negative advice is final")).to_be_visible()
    assert page.get_by_text("confirmed the advice").count() == 0
    hr_page = new_page()
    sign_in(hr_page, live_server, hr.username, PASSWORD)
    hr_page.goto(f"{live_server}/certificates")
    expect(hr_page.get_by_text("No clearance of your organisation is valid today.")).to_be_visible()
    assert _stored(waiting.id).state == "final_negative"


def test_role_isolation_in_the_browser(app, factory, live_server, new_page):
    mine = factory.application("positive")
    theirs = factory.application("positive")
    requester = db.session.get(type(mine).created_by.property.mapper.class_, mine.created_by_id)
    page = new_page()
    sign_in(page, live_server, requester.username, PASSWORD)
    page.goto(f"{live_server}/applications")
    expect(page.get_by_role("link", name=mine.reference)).to_be_visible()
    assert page.get_by_role("link", name=theirs.reference).count() == 0
    assert page.get_by_role("link", name="Work queue").count() == 0
    response = page.goto(f"{live_server}/applications/{theirs.id}")
    assert response.status == 404
    expect(page.get_by_text("not yours to see")).to_be_visible()
    response = page.goto(f"{live_server}/queue")
    assert response.status == 403
    expect(page.get_by_text("Your role does not give access to this page.")).to_be_visible()

    # HR of the other organisation: neither its files' clearances nor their certificates.
    fresh()
    hr = factory.user("hr", db.session.get(Organisation, theirs.organisation_id))
    their_clearance = db.session.get(Clearance, theirs.clearance_id).reference
    my_clearance = db.session.get(Clearance, mine.clearance_id).reference
    hr_page = new_page()
    sign_in(hr_page, live_server, hr.username, PASSWORD)
    hr_page.goto(f"{live_server}/certificates")
    expect(hr_page.get_by_role("cell", name=their_clearance, exact=True)).to_be_visible()
    assert hr_page.get_by_text(my_clearance).count() == 0
    assert hr_page.goto(f"{live_server}/certificates/clearances/{mine.clearance_id}").status == 404
    assert hr_page.goto(f"{live_server}/clearances/{mine.clearance_id}").status == 404
    assert hr_page.goto(f"{live_server}/applications/new").status == 403


def test_paper_consent_instead_of_the_link(app, factory, live_server, new_page):
    requester = factory.user("requester")
    waiting = factory.application("awaiting_consent", requester=requester)
    page = new_page()
    sign_in(page, live_server, requester.username, PASSWORD)
    page.goto(f"{live_server}/applications/{waiting.id}")
    page.get_by_role("link", name="Record a signed paper consent form").click()
    upload = page.get_by_label("Scan of the signed consent form (PDF, JPEG or PNG)")
    form_code = page.get_by_label("Form code")

    # A file that is not a scan is refused at the field, and nothing changes.
    form_code.fill("F2-AAAAAA")
    upload.set_input_files({"name": "consent.pdf", "mimeType": "application/pdf", "buffer": b"just some text"})
    page.get_by_role("button", name="Record the consent").click()
    expect(page.get_by_text("Upload a PDF, JPEG or PNG scan of the signed form.")).to_be_visible()
    assert _stored(waiting.id).state == "awaiting_consent"

    # A scan with a form code that is not this letter's (another file's, an older form) is refused too.
    upload.set_input_files({"name": "consent.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"})
    page.get_by_role("button", name="Record the consent").click()
    page.get_by_text("This is not the form code printed on this file's current consent letter").wait_for()
    assert _stored(waiting.id).state == "awaiting_consent"

    # The letter the person signed, as printed: the code under the signature is what the upload takes.
    letter = new_page()
    sign_in(letter, live_server, requester.username, PASSWORD)
    letter.goto(f"{live_server}/applications/{waiting.id}/letter")
    letter.emulate_media(media="print")
    expect(letter.get_by_role("link", name="Back to the file")).not_to_be_visible()  # no chrome on paper
    expect(letter.get_by_text("Handtekening", exact=True)).to_be_visible()  # in the person's language (Dutch)
    screenshot(letter, "consent-letter-print")
    # its QR code, as a phone reads it from the paper, is the consent link
    import io

    import zxingcpp
    from PIL import Image

    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(letter.locator(".qr").screenshot())))
    assert decoded.text.startswith(app.extensions["screening.config"].app.base_url.rstrip("/") + "/p/")
    payload = decoded.text.rsplit("/p/", 1)[1].split(".")[0]  # the signature carries the second it was made
    assert payload == person_link(app, waiting.id).rsplit("/p/", 1)[1].split(".")[0]
    printed = letter.locator("#form-code").inner_text()
    page.get_by_label("Form code").fill(printed)
    page.get_by_label("Scan of the signed consent form (PDF, JPEG or PNG)").set_input_files(
        {"name": "consent.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    )
    page.get_by_role("button", name="Record the consent").click()
    page.get_by_text("Consent recorded for application", exact=False).wait_for()
    expect(page.get_by_text("Submitted").first).to_be_visible()
    assert _stored(waiting.id).state == "submitted"


def test_a_requester_edits_a_draft_then_submits_it(app, factory, live_server, new_page):
    """Issue 15 item 6: the draft's "Edit" opens the same form filled in; the file then shows what was typed,
    the person's e-mail address and language included, and the trail says the draft was edited."""
    requester = factory.user("requester")
    function = factory.function()
    draft = factory.application("draft", requester=requester, function=function)
    page = new_page()
    sign_in(page, live_server, requester.username, PASSWORD)
    page.goto(f"{live_server}/applications/{draft.id}")
    page.get_by_role("link", name="Edit").click()
    page.get_by_role("heading", name=f"Edit draft {draft.reference}").wait_for()
    assert page.get_by_label("Given names").input_value() == draft.declared_given_names
    page.get_by_label("Given names").fill("Zoë")
    page.get_by_label("E-mail address of the person").fill("zoe@example.org")
    page.get_by_label("Language of the person").select_option("fr")
    screenshot(page, "draft-edit")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text(f"Draft {draft.reference} saved with your changes.").wait_for()
    assert "zoe@example.org" in page.locator("#declared-email").inner_text()
    assert page.locator("#declared-language").inner_text() == "Français"
    assert "Draft edited" in page.locator(".timeline").inner_text()
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Awaiting consent").first.wait_for()
    assert page.get_by_role("link", name="Edit").count() == 0
    assert _stored(draft.id).declared_given_names == "Zoë"
