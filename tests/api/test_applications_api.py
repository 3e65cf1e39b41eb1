"""The API as the pages' twin: the same scoping, rules and messages, with ETag/If-Match, Idempotency-Key,
cursors and problem documents; and what an attacker tries (other organisations' ids, NUL bytes, 64-bit ids)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.db import db
from tests.api.conftest import person_body

BIG = str(2**64)


def _create(client, factory, function, key=None, **overrides):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/applications", json=person_body(factory, function, **overrides), headers=headers)


def _count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Application))


def test_create_read_submit_with_etags(api, factory):
    client, requester = api()
    function = factory.function()
    created = _create(client, factory, function, external_id="EMP-0042")
    assert created.status_code == 201, created.json
    assert created.headers["ETag"] == '"v1"'
    body = created.json
    assert body["state"] == "draft" and body["external_id"] == "EMP-0042" and body["actions"] == ["submit", "withdraw"]
    assert body["person"]["national_number_masked"].endswith("***.**")
    location = created.headers["Location"]
    assert client.get(location).json == body

    missing = client.post(location + "/submit")
    assert missing.status_code == 428 and missing.json["errors"][0]["field"] == "If-Match"
    stale = client.post(location + "/submit", headers={"If-Match": '"v7"'})
    assert stale.status_code == 412 and stale.content_type == "application/problem+json"
    submitted = client.post(location + "/submit", headers={"If-Match": '"v1"'})
    assert submitted.status_code == 200 and submitted.json["state"] == "awaiting_consent"
    assert submitted.headers["ETag"] == '"v2"'
    again = client.post(location + "/submit", headers={"If-Match": '"v2"'})
    assert again.status_code == 409
    assert again.json["detail"] == "This is not possible while the application is awaiting consent."
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "submit"))
    assert entry.actor == f"{requester.username} (API token: HR system)"


def test_the_same_idempotency_key_returns_the_first_answer(api, factory):
    client, _requester = api()
    function = factory.function()
    body = person_body(factory, function, external_id="P-1")
    first = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "k-1"})
    second = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert second.json == first.json and second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count() == 1
    other = client.post(
        "/api/v1/applications", json={**body, "family_name": "Other"}, headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"
    assert _count() == 1
    bad = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "é" * 3})
    assert bad.status_code == 400
    # Another token's key space is its own; after 24 hours a key may be used again.
    location = first.headers["Location"]
    submit = client.post(location + "/submit", headers={"If-Match": '"v1"', "Idempotency-Key": "s-1"})
    replay = client.post(location + "/submit", headers={"If-Match": '"v1"', "Idempotency-Key": "s-1"})
    assert submit.status_code == replay.status_code == 200 and replay.json["version"] == 2


def test_a_failed_request_keeps_no_key(api, factory):
    client, _requester = api()
    function = factory.function()
    refused = _create(client, factory, function, key="k", family_name="")
    assert refused.status_code == 422
    accepted = _create(client, factory, function, key="k")
    assert accepted.status_code == 201


def test_idempotency_keys_expire_after_a_day(api, factory):
    import time_machine

    client, _requester = api()
    function = factory.function()
    start = datetime.now(UTC)
    assert _create(client, factory, function, key="daily").status_code == 201
    with time_machine.travel(start + timedelta(hours=25)):
        assert _create(client, factory, function, key="daily").status_code == 201
    assert _count() == 2


def test_form_messages_name_the_field_in_the_callers_language(api, factory):
    client, _requester = api()
    function = factory.function()
    body = person_body(factory, function, family_name="", national_number="85.07.30-033.29")
    english = client.post("/api/v1/applications", json=body)
    assert english.status_code == 422
    fields = {error["field"]: error["detail"] for error in english.json["errors"]}
    assert set(fields) == {"family_name", "national_number"}
    assert fields["family_name"] == "This field is required."
    dutch = client.post("/api/v1/applications", json=body, headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert {e["field"]: e["detail"] for e in dutch.json["errors"]}["family_name"] == "Dit veld is verplicht."
    french = client.post("/api/v1/applications", json=body, headers={"Accept-Language": "fr"})
    assert french.json["title"] != english.json["title"]
    assert _count() == 0


def test_the_external_id_is_unique_per_organisation(api, factory):
    client, requester = api()
    function = factory.function()
    assert _create(client, factory, function, external_id="X1").status_code == 201
    taken = _create(client, factory, function, external_id="X1")
    assert taken.status_code == 409 and taken.json["errors"][0]["field"] == "external_id"
    other, _other_requester = api()
    assert _create(other, factory, function, external_id="X1").status_code == 201


def test_withdraw_and_answer_an_information_request(api, factory):
    client, requester = api()
    draft = factory.application("draft", requester=requester)
    asked = factory.application("info_requested", requester=requester)
    no_reason = client.post(
        f"/api/v1/applications/{asked.id}/answer", json={"answer": " "}, headers={"If-Match": f'"v{asked.version}"'}
    )
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "answer"
    answered = client.post(
        f"/api/v1/applications/{asked.id}/answer", json={"answer": "The 2019 file was closed."},
        headers={"If-Match": f'"v{asked.version}"'},
    )  # fmt: skip
    assert answered.status_code == 200, answered.json
    assert answered.json["state"] == "in_review"
    assert answered.json["information_request"]["answer"] == "The 2019 file was closed."
    withdrawn = client.post(
        f"/api/v1/applications/{draft.id}/withdraw", json={"reason": "Left the company"}, headers={"If-Match": '"v1"'}
    )
    assert withdrawn.status_code == 200 and withdrawn.json["state"] == "withdrawn"
    assert withdrawn.json["withdrawal_reason"] == "Left the company"


def test_the_employer_never_sees_with_warning_nor_grounds(api, factory):
    from screening.actors import Actor
    from screening.applications import operations
    from screening.extensions import settings

    client, requester = api()
    application = factory.application("in_review", requester=requester)
    operations.fire(application, "advise_positive_with_warning", Actor(label="o", role="officer"), settings().deadlines,
                    reason="SECRET GROUNDS", disclosed_grounds="DISCLOSED")  # fmt: skip
    db.session.commit()
    response = client.get(f"/api/v1/applications/{application.id}")
    assert response.json["advice"] == "positive"
    assert "warning" not in response.text and "SECRET" not in response.text and "DISCLOSED" not in response.text
    clearance_id = response.json["clearance"]["id"]
    assert client.get(f"/api/v1/clearances/{clearance_id}").json["advice"] == "positive"


def test_another_organisation_gets_404_for_everything(api, factory):
    owner, requester = api()
    application = factory.application("positive", requester=requester)
    asked = factory.application("info_requested", requester=requester)
    clearance_id = application.clearance_id
    stranger, _other = api()
    paths = [
        ("get", f"/api/v1/applications/{application.id}"),
        ("get", f"/api/v1/clearances/{clearance_id}"),
        ("post", f"/api/v1/applications/{application.id}/submit"),
        ("post", f"/api/v1/applications/{application.id}/withdraw"),
        ("post", f"/api/v1/applications/{asked.id}/answer"),
        ("post", f"/api/v1/clearances/{clearance_id}/certificate"),
    ]
    for method, path in paths:
        response = getattr(stranger, method)(
            path, headers={"If-Match": '"v1"'}, json={"answer": "x"} if "answer" in path else None
        )
        assert response.status_code == 404, path
        assert response.content_type == "application/problem+json"
    assert stranger.get("/api/v1/applications").json["items"] == []
    assert stranger.get("/api/v1/clearances").json["items"] == []
    assert owner.get(f"/api/v1/clearances/{clearance_id}").status_code == 200


@pytest.mark.parametrize(
    "path",
    [f"/api/v1/applications/{BIG}", f"/api/v1/clearances/{BIG}", "/api/v1/applications/9223372036854775807",
     "/api/v1/applications/2147483648",
     "/api/v1/applications/-1", "/api/v1/applications/%00"],
)  # fmt: skip
def test_out_of_range_ids_are_404_problems(api, path):
    client, _requester = api()
    response = client.get(path)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_nul_bytes_and_bad_parameters_are_400_problems(api, factory):
    client, _requester = api()
    function = factory.function()
    nul = client.post("/api/v1/applications", json=person_body(factory, function, given_names="Ann\x00"))
    assert nul.status_code == 422 and nul.json["errors"][0]["field"] == "given_names"
    assert nul.json["errors"][0]["detail"] == "Remove the control characters (such as a tab or a NUL) from this field."
    for query in ("state=\x00", "cursor=%00", "q\x00=1"):
        response = client.get(f"/api/v1/applications?{query}")
        assert response.status_code == 400, query
        assert response.content_type == "application/problem+json"
    for query in ("state=nope", "limit=0", f"limit={BIG}", "updated_since=yesterday",
                  "cursor=WzEsMl0", "updated_since=2031-01-01T00:00:00"):  # fmt: skip
        response = client.get(f"/api/v1/applications?{query}")
        assert response.status_code == 400, query
        assert response.content_type == "application/problem+json"
        assert response.json["errors"][0]["field"] in ("state", "limit", "updated_since", "cursor")
    for raw, status in ((b"{", 400), (b"[]", 400), (b'{"function_id": true}', 400), (b'{"unknown": 1}', 400)):
        response = client.post("/api/v1/applications", data=raw, content_type="application/json")
        assert response.status_code == status, raw
    assert client.post("/api/v1/applications", data=b"a=b", content_type="text/plain").status_code == 415
    huge = person_body(factory, function, function_id=2**64)
    assert client.post("/api/v1/applications", json=huge).status_code == 422
    assert _count() == 0


def test_the_list_pages_with_a_cursor_and_filters(api, factory):
    client, requester = api()
    made = [factory.application("draft", requester=requester) for _ in range(5)]
    first = client.get("/api/v1/applications?limit=2").json
    assert [i["id"] for i in first["items"]] == [made[4].id, made[3].id]
    second = client.get(f"/api/v1/applications?limit=2&cursor={first['next_cursor']}").json
    third = client.get(f"/api/v1/applications?limit=2&cursor={second['next_cursor']}").json
    assert [i["id"] for i in second["items"] + third["items"]] == [made[2].id, made[1].id, made[0].id]
    assert third["next_cursor"] is None
    submitted = client.post(f"/api/v1/applications/{made[1].id}/submit", headers={"If-Match": '"v1"'}).json
    since = submitted["state_changed_at"].replace("+00:00", "Z")
    changed = client.get(f"/api/v1/applications?updated_since={since}").json
    assert [i["id"] for i in changed["items"]] == [made[1].id]
    assert [i["id"] for i in client.get("/api/v1/applications?state=awaiting_consent").json["items"]] == [made[1].id]


def test_openapi_document_and_reference_page(app, client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.json
    assert spec["openapi"] == "3.1.0"
    assert {
        "/api/v1/applications",
        "/api/v1/applications/{application_id}/submit",
        "/api/v1/clearances/{clearance_id}/certificate",
    } <= set(spec["paths"])
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "createApplication" in page.text and "problem-version-mismatch" in page.text
    assert "https://" not in page.text.split("<body", 1)[1].split("</nav>", 1)[0] or "cdn" not in page.text.lower()
    assert '<script src="http' not in page.text


def test_the_create_schema_lists_the_forms_fields(app):
    """The body's documentation cannot drift from the form that validates it."""
    from screening.api.schemas import ApplicationCreate
    from screening.applications.forms import ApplicationForm

    with app.test_request_context():
        form = ApplicationForm(formdata=None, meta={"csrf": False})
        assert set(ApplicationCreate().fields) == {name for name in form._fields if name != "csrf_token"} | {
            "external_id"
        }


def test_a_clearance_names_its_holder_as_this_employer_declared_them(api, factory):
    """Employer A's file cleared the person; employer B declared the same number with other names and the
    person consented to B relying on the clearance: B's API names the holder as B typed them, never A's words."""
    from datetime import date

    from screening.actors import Actor
    from screening.applications import operations
    from screening.extensions import settings
    from screening.people.identifiers import make_national_number

    born = date(1979, 4, 12)
    number = make_national_number(born, 218)
    a_details = factory.person_details(
        given_names="Annelies", family_name="Vandenbroucke", date_of_birth=born, national_number=number
    )
    factory.application("positive", requester=factory.user("requester", factory.organisation()), person=a_details)
    client, requester = api()
    b_details = factory.person_details(
        given_names="Xavier", family_name="Probe", date_of_birth=born, national_number=number
    )
    second = factory.application("awaiting_consent", requester=requester, person=b_details)
    operations.fire(second, "consent", Actor.person(second.person_id), settings().deadlines)
    db.session.commit()
    assert second.state == "covered"
    listed = client.get("/api/v1/clearances").json["items"]
    one = client.get(f"/api/v1/clearances/{second.clearance_id}")
    for holder in (listed[0]["holder"], one.json["holder"]):
        assert (holder["given_names"], holder["family_name"]) == ("Xavier", "Probe")
    assert "Annelies" not in one.text and "Vandenbroucke" not in client.get("/api/v1/clearances").text
