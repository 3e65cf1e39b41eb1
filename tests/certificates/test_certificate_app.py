"""Certificates in the application: HR's exports, the officer's download, and the public check.

Runs on both backends (not ``nodb``): the export writes issue rows and audit entries, the public page reads
the live clearance state and logs each check.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from screening.actors import Actor
from screening.audit.models import AuditEntry
from screening.certificates.document import issue_certificate_data, read_embedded_verification
from screening.certificates.models import CertificateCheck, CertificateIssue
from screening.certificates.signing import CertificateKeys, GeneratedKeyPair, generate_keypair, verify_token
from screening.clearances import operations as clearance_operations
from screening.clearances.models import Clearance
from screening.db import db
from screening.formats import format_day
from tests.conftest import Factory, csrf_token, data_context, fresh

BASE_URL = "https://screening.example.org"


def _shown_day(app: Flask, day: date) -> str:
    """A date as the pages print it (English): "1 Dec 2031", not the "01" of strftime."""
    with app.test_request_context():
        return format_day(day)


@pytest.fixture(scope="session")
def signing_pair() -> GeneratedKeyPair:
    return generate_keypair()


@pytest.fixture
def certificate_settings(signing_pair: GeneratedKeyPair) -> dict[str, Any]:
    return {"private_key": signing_pair.private_pem.decode()}


@pytest.fixture
def app(make_app: Callable[..., Flask], certificate_settings: dict[str, Any]) -> Iterator[Flask]:
    """The suite's app, with a signing key and a public base URL (what the QR code points at)."""
    application = make_app(certificates=certificate_settings, app={"base_url": BASE_URL})
    with data_context(application):
        yield application


def _cleared(factory: Factory, organisation: Any, **person: Any) -> Clearance:
    """A positive advice for a file of ``organisation``: the clearance its HR may print."""
    requester = factory.user("requester", organisation)
    application = factory.application("positive", requester=requester, person=factory.person_details(**person))
    return db.session.get(Clearance, application.clearance_id)


def _download(client: FlaskClient, clearance_id: int, *, english: bool = False) -> Any:
    page = client.get(f"/certificates/clearances/{clearance_id}")
    if page.status_code != 200:  # not theirs to see: take the form token from a page they may see
        page = client.get("/clearances")
    data = {"csrf_token": csrf_token(page.text)}
    if english:
        data["english"] = "y"
    return client.post(f"/certificates/clearances/{clearance_id}.pdf", data=data)


def _export(client: FlaskClient, url: str, **form: Any) -> Any:
    page = client.get("/certificates")
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf_token(page.text), **form})


def _verify_path(url: str) -> str:
    assert url.startswith(f"{BASE_URL}/verify/"), url
    return urlsplit(url).path


def _outcome(response: Any) -> str:
    match = re.search(r'data-outcome="([a-z_]+)"', response.text)
    assert match, response.text[:500]
    return match.group(1)


def _revoke(clearance: Clearance) -> None:
    officer = Actor(label="officer-x", role="officer")
    if clearance.state == "valid":
        clearance_operations.fire_clearance(clearance, "start_reevaluation", officer, reason="New facts")
    clearance_operations.fire_clearance(clearance, "revoke", officer, reason="Negative after re-evaluation")
    db.session.commit()


# -- one certificate, end to end ---------------------------------------------------------------------


def test_hr_downloads_a_certificate_whose_qr_the_public_page_answers_valid(
    app, as_role, factory, tmp_path, pdftotext, pdftoppm, signing_pair, runner
):
    org = factory.organisation()
    clearance = _cleared(
        factory, org, given_names="Anna Maria", family_name="Nowak-Wiśniewska", date_of_birth=date(1985, 7, 30)
    )
    hr, _ = as_role("hr", org)
    assert 'href="/certificates"' in hr.get("/clearances").text  # in the menu
    listing = hr.get("/certificates")
    assert clearance.reference in listing.text and "Nowak-Wiśniewska" in listing.text

    response = _download(hr, clearance.id)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f'filename="{clearance.reference}.pdf"' in response.headers["Content-Disposition"]
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(response.data)

    text = pdftotext(pdf)
    for expected in ("Anna Maria Nowak-Wiśniewska", "30.07.1985", clearance.reference, "Veiligheidsadvies",
                     "Avis de sécurité", clearance.valid_from.strftime("%d.%m.%Y"),
                     clearance.valid_until.strftime("%d.%m.%Y")):  # fmt: skip
        assert expected in text, expected
    person = clearance_person(clearance)
    assert person.national_number_masked and person.national_number_masked in text

    decoded = zxingcpp.read_barcodes(Image.open(pdftoppm(pdf, 150)))
    assert decoded, "no QR code found on the page"
    url = decoded[0].text
    verified = verify_token(url.rsplit("/", 1)[1], CertificateKeys.from_pem(signing_pair.private_pem).public_keys)
    assert verified.reference == clearance.reference
    assert verified.verification_code in text  # the short code printed under the QR code

    page = app.test_client().get(_verify_path(url))  # an inspector: not signed in
    assert page.status_code == 200
    assert _outcome(page) == "valid"
    assert "A.M.N." in page.text
    assert _shown_day(app, clearance.valid_until) in page.text
    # Nothing else: no name, no date of birth, no reference, no grounds.
    for secret in ("Nowak", "Anna", "1985", clearance.reference, "text for advise_positive"):
        assert secret not in page.text, secret

    # Offline, from the file: signature valid, and the answer points at the live status for revocation.
    public = tmp_path / "authority.pub.pem"
    public.write_bytes(signing_pair.public_pem)
    from screening.cli import main

    result = runner.invoke(main, ["certificate", "verify", str(pdf), "--public-key", str(public)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid signature:")
    assert f"check the live status at {BASE_URL}/verify/{verified.verification_code} for revocation" in result.output


def clearance_person(clearance: Clearance) -> Any:
    from screening.people.models import Person

    return db.session.get(Person, clearance.person_id)


def test_english_is_a_third_column_on_request(as_role, factory, tmp_path, pdftotext):
    org = factory.organisation()
    clearance = _cleared(factory, org)
    hr, _ = as_role("hr", org)
    plain, english = tmp_path / "plain.pdf", tmp_path / "english.pdf"
    plain.write_bytes(_download(hr, clearance.id).data)
    english.write_bytes(_download(hr, clearance.id, english=True).data)
    assert "Security advice" not in pdftotext(plain)
    assert "Security advice" in pdftotext(english)
    fresh()
    issue = db.session.scalar(select(CertificateIssue).where(CertificateIssue.clearance_id == clearance.id))
    assert issue.languages == "nl-fr"  # same day, same key: the same code, first issue stands
    exports = db.session.scalars(
        select(AuditEntry.reason).where(AuditEntry.action == "export_certificate", AuditEntry.object_id == clearance.id)
    ).all()
    assert len(exports) == 2 and "nl-fr-en" in exports[1]


# -- the live status --------------------------------------------------------------------------------


def _issued(app: Flask, hr: FlaskClient, clearance: Clearance) -> tuple[str, str]:
    """Download a certificate and return its verify path (from the PDF) and its printed code."""
    embedded = read_embedded_verification(_download(hr, clearance.id).data)
    code = verify_token(embedded.token, app.extensions["screening.certificate_keys"].public_keys).verification_code
    return _verify_path(embedded.verify_url or ""), code


def test_revocation_shows_at_once(app, as_role, factory):
    org = factory.organisation()
    clearance = _cleared(factory, org)
    hr, _ = as_role("hr", org)
    path, code = _issued(app, hr, clearance)
    public = app.test_client()
    assert _outcome(public.get(path)) == "valid"
    fresh()
    clearance = db.session.get(Clearance, clearance.id)
    clearance_operations.fire_clearance(
        clearance, "start_reevaluation", Actor(label="officer-x", role="officer"), reason="New facts"
    )
    db.session.commit()
    assert _outcome(public.get(path)) == "under_reevaluation"
    _revoke(clearance)
    page = public.get(f"/verify/{code}")
    assert _outcome(page) == "revoked"
    assert "Revoked on" in page.text
    assert _outcome(public.get(path)) == "revoked"


def test_expiry_shows_on_the_day_after_the_end_even_before_the_nightly_job(app, as_role, factory):
    org = factory.organisation()
    clearance = _cleared(factory, org)
    hr, _ = as_role("hr", org)
    path, _code = _issued(app, hr, clearance)
    public = app.test_client()
    end = datetime.combine(clearance.valid_until, datetime.min.time(), tzinfo=UTC)
    with time_machine.travel(end + timedelta(hours=10), tick=False):
        assert _outcome(public.get(path)) == "valid"  # the last day still counts
    with time_machine.travel(end + timedelta(days=1, hours=10), tick=False):
        page = public.get(path)
        assert _outcome(page) == "expired"
        assert _shown_day(app, clearance.valid_until) in page.text


def test_tampered_other_key_unknown_and_mistyped_codes(app, as_role, factory):
    org = factory.organisation()
    clearance = _cleared(factory, org)
    hr, _ = as_role("hr", org)
    path, code = _issued(app, hr, clearance)
    public = app.test_client()
    token = path.rsplit("/", 1)[1]
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    assert _outcome(public.get(f"/verify/{flipped}")) == "not_genuine"

    forger = CertificateKeys.from_pem(generate_keypair().private_pem)
    forged = issue_certificate_data(
        forger, base_url=BASE_URL, holder_name="Given Family", date_of_birth=date(1980, 1, 1),
        masked_national_number=None, advice_type="positive", valid_from=clearance.valid_from,
        valid_until=clearance.valid_until, clearance_reference=clearance.reference, issue_date=date.today(),
    )  # fmt: skip
    page = public.get(_verify_path(forged.verify_url))
    assert _outcome(page) == "not_genuine"
    assert "not a genuine certificate" in page.text
    # Its short code is well formed but was never issued: unknown.
    assert _outcome(public.get(f"/verify/{forged.verification_code}")) == "unknown"

    # A typed code: lower case, spaces, O for 0 are forgiven; one wrong character is caught as a typo.
    typed = code.lower().replace("-", " ").replace("0", "o")
    form = public.get("/verify")
    answer = public.post("/verify", data={"csrf_token": csrf_token(form.text), "code": typed})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/verify/{code}")
    assert _outcome(public.get(answer.headers["Location"])) == "valid"
    wrong = ("1" if code[0] != "1" else "2") + code[1:]
    answer = public.post("/verify", data={"csrf_token": csrf_token(form.text), "code": wrong})
    assert answer.status_code == 422
    assert "typing error" in answer.text
    answer = public.post("/verify", data={"csrf_token": csrf_token(form.text), "code": "ABC"})
    assert answer.status_code == 422
    assert "12 letters and digits" in answer.text
    assert _outcome(public.get(f"/verify/{wrong}")) == "typo"

    fresh()
    outcomes = db.session.scalars(select(CertificateCheck.outcome).order_by(CertificateCheck.id)).all()
    assert outcomes == ["not_genuine", "not_genuine", "unknown", "valid", "typo"]


# -- who may export ---------------------------------------------------------------------------------


def test_hr_of_another_organisation_gets_404_and_a_requester_403(as_role, factory):
    org_a, org_b = factory.organisation(), factory.organisation()
    clearance = _cleared(factory, org_a)
    own = _cleared(factory, org_b)
    hr_b, _ = as_role("hr", org_b)
    assert clearance.reference not in hr_b.get("/certificates").text
    assert hr_b.get(f"/certificates/clearances/{clearance.id}").status_code == 404
    assert _download(hr_b, clearance.id).status_code == 404
    response = _export(hr_b, "/certificates/zip", scope="selected", selected=[str(own.id), str(clearance.id)])
    assert response.status_code == 404

    requester, _ = as_role("requester", org_a)
    assert requester.get("/certificates").status_code == 403
    assert requester.get(f"/certificates/clearances/{clearance.id}").status_code == 403
    token = csrf_token(requester.get("/clearances").text)
    for url in (f"/certificates/clearances/{clearance.id}.pdf", "/certificates/zip", "/certificates/register.csv"):
        assert requester.post(url, data={"csrf_token": token, "scope": "all"}).status_code == 403, url
    fresh()
    assert db.session.scalar(select(func.count()).select_from(CertificateIssue)) == 0
    assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("export_%"))).all()


def test_an_officer_prints_for_any_clearance_but_only_a_valid_one(app, as_role, factory):
    clearance = _cleared(factory, factory.organisation())
    officer, officer_user = as_role("officer")
    assert f"/certificates/clearances/{clearance.id}" in officer.get(f"/clearances/{clearance.id}").text
    response = _download(officer, clearance.id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    fresh()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export_certificate"))
    assert entry.actor == officer_user.username and entry.organisation_id is None
    _revoke(db.session.get(Clearance, clearance.id))
    page = officer.get(f"/certificates/clearances/{clearance.id}")
    assert "Only a clearance that is valid today gets a certificate." in page.text
    refused = officer.post(f"/certificates/clearances/{clearance.id}.pdf", data={"csrf_token": csrf_token(page.text)})
    assert refused.status_code == 409
    assert "Only a clearance that is valid today gets a certificate." in refused.text


# -- bulk ZIP ---------------------------------------------------------------------------------------


def test_the_zip_holds_exactly_the_selection_or_all_valid(app, as_role, factory):
    org = factory.organisation()
    cleared = [_cleared(factory, org) for _ in range(3)]
    revoked = _cleared(factory, org)
    _revoke(revoked)
    hr, hr_user = as_role("hr", org)
    listing = hr.get("/certificates").text
    assert revoked.reference not in listing

    chosen = cleared[:2]
    response = _export(hr, "/certificates/zip", scope="selected", selected=[str(c.id) for c in chosen])
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == sorted(f"{c.reference}.pdf" for c in chosen)
    public = app.test_client()
    keys = app.extensions["screening.certificate_keys"]
    for name in archive.namelist():
        embedded = read_embedded_verification(archive.read(name))
        assert verify_token(embedded.token, keys.public_keys).reference == name.removesuffix(".pdf")
        assert _outcome(public.get(_verify_path(embedded.verify_url or ""))) == "valid"

    everything = _export(hr, "/certificates/zip", scope="all")
    names = zipfile.ZipFile(io.BytesIO(everything.data)).namelist()
    assert sorted(names) == sorted(f"{c.reference}.pdf" for c in cleared)

    # Selecting a revoked clearance, or nothing at all, is answered on the page and exports nothing.
    stale = _export(hr, "/certificates/zip", scope="selected", selected=[str(cleared[0].id), str(revoked.id)])
    assert stale.status_code == 409 and "no longer valid today" in stale.text
    empty = _export(hr, "/certificates/zip", scope="selected")
    assert empty.status_code == 422 and "Tick the certificates to include" in empty.text

    fresh()
    reasons = db.session.scalars(
        select(AuditEntry.reason)
        .where(AuditEntry.action == "export_certificates", AuditEntry.actor == hr_user.username)
        .order_by(AuditEntry.id)
    ).all()
    assert reasons[0].startswith("ZIP of 2 certificates (selection")
    assert reasons[1].startswith("ZIP of 3 certificates (all valid")
    assert len(reasons) == 2
    assert db.session.scalar(select(func.count()).select_from(CertificateIssue)) == 3


# -- the register -----------------------------------------------------------------------------------


def test_the_csv_register_matches_the_data(as_role, factory):
    org = factory.organisation()
    valid = [_cleared(factory, org, family_name=name) for name in ("Çelik", "=cmd|calc", "Peeters")]
    revoked = _cleared(factory, org, family_name="Ахмедов")
    _revoke(revoked)
    _cleared(factory, factory.organisation(), family_name="Elsewhere")  # another employer's
    hr, hr_user = as_role("hr", org)
    response = _export(hr, "/certificates/register.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 4
    by_reference = {row["Reference"]: row for row in rows}
    today_column = next(column for column in rows[0] if column.startswith("Valid on"))
    for clearance in valid:
        row = by_reference[clearance.reference]
        assert row["State"] == "Valid" and row[today_column] == "yes"
        assert row["Valid until"] == clearance.valid_until.isoformat()
    assert by_reference[revoked.reference]["State"] == "Revoked"
    assert by_reference[revoked.reference][today_column] == "no"
    assert by_reference[revoked.reference]["Family name"] == "Ахмедов"
    assert by_reference[revoked.reference]["Revoked on"]
    assert {row["Family name"] for row in rows} == {"Çelik", "'=cmd|calc", "Peeters", "Ахмедов"}
    fresh()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export_clearance_register"))
    assert entry.actor == hr_user.username and entry.organisation_id == org.id
    assert entry.reason == "CSV register of 4 clearances"


# -- rate limit and configuration --------------------------------------------------------------------


def test_the_public_page_is_rate_limited_per_address(make_app, certificate_settings):
    application = make_app(certificates={**certificate_settings, "verify_limit": 3, "verify_window_minutes": 5})
    with data_context(application):
        client = application.test_client()
        other = application.test_client()
        for _ in range(3):
            assert client.get("/verify/0000-0000-0000").status_code == 200
        refused = client.get("/verify/0000-0000-0000")
        assert refused.status_code == 429
        assert "Too many checks" in refused.text and "wait 5 minutes" in refused.text
        assert refused.headers["Retry-After"] == "300"
        assert other.get("/verify/0000-0000-0000", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=6), tick=False):
            assert client.get("/verify/0000-0000-0000").status_code == 200
        fresh()
        assert db.session.scalar(select(func.count()).select_from(CertificateCheck)) == 5  # refusals not logged


def test_without_a_key_exports_are_refused_with_a_message(make_app):
    application = make_app()
    with data_context(application):
        factory = Factory(application)
        org = factory.organisation()
        clearance = _cleared(factory, org)
        from tests.conftest import sign_in

        hr = sign_in(application.test_client(), factory.user("hr", org))
        assert "the administrator must set a signing key" in hr.get("/certificates").text
        response = _download(hr, clearance.id)
        assert response.status_code == 409
        assert "the administrator must set a signing key" in response.text


def test_the_demo_generates_its_key_once(tmp_path: Path) -> None:
    from screening.certificates.setup import load_keys
    from screening.config import load_config

    config_file = tmp_path / "screening.toml"
    config_file.write_text(
        '[app]\nsecret_key = "s"\ndemo = true\n[database]\nurl = "sqlite://"\n'
        '[security]\nidentifier_keys = ["' + _fernet() + '"]\nlookup_key = "k"\n',
        encoding="utf-8",
    )
    first = load_keys(load_config(config_file, env={}))
    key_file = tmp_path / "keys" / "certificate-signing.pem"
    assert first is not None and key_file.exists()
    assert key_file.stat().st_mode & 0o777 == 0o600
    second = load_keys(load_config(config_file, env={}))
    assert second is not None and second.kid == first.kid


def test_an_unreadable_key_file_stops_the_start_with_the_setting_named(tmp_path: Path) -> None:
    from screening.certificates.setup import load_keys
    from screening.config import ConfigError, make_config

    config = make_config(certificates={"private_key_file": str(tmp_path / "missing.pem")})
    with pytest.raises(ConfigError, match=r"certificates\.private_key_file .*missing\.pem"):
        load_keys(config)


def _fernet() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def test_the_csv_register_neutralises_hostile_names_stored_before_the_input_rule(as_role, factory):
    """Names written before the input rule existed (or by an import) still reach the register harmlessly."""
    org = factory.organisation()
    for name in ("Jan\u202egnp.exe", 'Dupont;=HYPERLINK("http://evil.example")', "\t=1+1"):  # the tab: stripped
        _cleared(factory, org, family_name=name)
    hr, _user = as_role("hr", org)
    body = _export(hr, "/certificates/register.csv").data.decode("utf-8-sig")
    assert "\u202e" not in body and "\t" not in body
    names = {row["Family name"] for row in csv.DictReader(io.StringIO(body))}
    assert names == {"Jan\ufffdgnp.exe", 'Dupont;\'=HYPERLINK("http://evil.example")', "'=1+1"}
    for line in body.splitlines()[1:]:  # as Belgian Excel splits it: at ";", each quoted value kept whole
        for cell in next(csv.reader([line], delimiter=";")):
            assert cell[:1] not in ("=", "+", "-", "@"), cell
