"""The compliance view's page is kept per version of what it shows (screening/workforce/page_memo.py): after
every kind of change of what it shows, the kept page is the page a fresh node renders; a change in one
organisation leaves another's version; each reader gets their own CSRF token and their own role's page; access
is checked before the memo; an unchanged page costs one statement of its own; on PostgreSQL the counters'
locks are taken at commit, so writers in two organisations never wait on each other."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DataError

from screening.actors import Actor
from screening.applications.models import Application
from screening.catalogue.operations import save_function
from screening.clock import today
from screening.db import db, session_factory
from screening.extensions import vault
from screening.organisations.models import Organisation
from screening.organisations.operations import save_organisation
from screening.workforce import page_memo
from screening.workforce.models import WorkforceMember as Member
from screening.workforce.operations import add_member, edit_member
from tests.conftest import csrf_token, fresh, sign_in
from tests.workforce.test_compliance_memo import _changes, _fields, register, statements_during  # noqa: F401 - the fixture

_TOKEN = re.compile(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+"')
_NONCE = re.compile(r'nonce="[^"]+"')


def _page(client, organisation_id, query=""):
    response = client.get(f"/workforce/{organisation_id}/compliance{query}")
    assert response.status_code == 200
    return response.text


def _same(html):
    """The page without what differs per request (CSRF tokens, script nonces)."""
    return _NONCE.sub('nonce=""', _TOKEN.sub(r'\1"', html))


def _more_changes(factory, manager, function, people):
    """Changes of what the page shows beyond the counts: a name, a function's name, the organisation's name,
    a file's state written by a statement of its own (no ORM event)."""
    actor, org = Actor.of(manager), manager.organisation_id
    details, consent_file, member = people["consent"]

    def rename_member():
        fields = replace(_fields(details, function, member.started_on, member.personnel_number), family_name="Renamed")
        edit_member(actor, vault(), member, fields, expected_version=member.version)

    def rename_function():
        save_function(Actor(label="admin", role="admin"), code=function.code, name_en="Crane driver (renamed)",
                      name_nl=function.name_nl, name_fr=function.name_fr, category=function.category,
                      function=function, required_from=function.required_from)  # fmt: skip

    def rename_organisation():
        organisation = db.session.get(Organisation, org)
        save_organisation(Actor(label="admin", role="admin"), name="Renamed Stevedoring",
                          enterprise_number=organisation.enterprise_number, code=organisation.code,
                          organisation=organisation)  # fmt: skip

    def state_by_statement():
        db.session.execute(update(Application).where(Application.id == consent_file.id).values(state="consent_refused"))

    return [rename_member, rename_function, rename_organisation, state_by_statement]


def test_after_each_kind_of_change_the_kept_page_is_a_fresh_one(register, factory, make_app):  # noqa: F811
    client, manager, function, people = register
    org = manager.organisation_id
    other = make_app()  # a node whose memo is emptied before each read: a fresh rendering
    other_client = sign_in(other.test_client(), manager)

    def rendered_now():
        other.extensions.pop("screening.compliance_pages", None)
        return _same(_page(other_client, org))

    kept = _same(_page(client, org))
    assert kept == rendered_now()
    for change in _changes(factory, manager, function, people) + _more_changes(factory, manager, function, people):
        change()
        db.session.commit()
        shown = _same(_page(client, org))
        assert shown == rendered_now(), change.__name__
        assert shown != kept, change.__name__  # each change moves the page: the test can fail
        kept = shown
    assert "Renamed Stevedoring" in kept and "Crane driver (renamed)" in kept and "Renamed" in kept


def test_a_change_in_one_organisation_leaves_another_organisations_version(factory):
    first, second = factory.organisation(), factory.organisation()
    function = factory.function()
    manager = factory.user("requester", first)
    db.session.commit()
    before = page_memo.version(first.id), page_memo.version(second.id)
    assert None not in before
    details = factory.person_details()
    add_member(Actor.of(manager), vault(), first.id, _fields(details, function, today()))
    db.session.commit()
    fresh()
    after = page_memo.version(first.id), page_memo.version(second.id)
    assert after[0][0] > before[0][0] and after[1] == before[1]
    save_function(Actor(label="admin", role="admin"), code=function.code, name_en="Lasher", name_nl=function.name_nl,
                  name_fr=function.name_fr, category=function.category, function=function)  # fmt: skip
    db.session.commit()
    fresh()
    catalogue = page_memo.version(first.id), page_memo.version(second.id)
    assert catalogue[0][1] > after[0][1] and catalogue[1][1] > after[1][1]  # the catalogue: every view
    assert catalogue[1][0] == before[1][0]


def test_each_reader_gets_their_own_token_and_it_works(register, factory, app):  # noqa: F811
    client, manager, _function, people = register
    org = manager.organisation_id
    first = _page(client, org)
    colleague = sign_in(app.test_client(), factory.user("requester", db.session.get(Organisation, org)))
    second = _page(colleague, org)
    assert csrf_token(first) != csrf_token(second)
    _details, _file, member = people["none"]
    form = {"csrf_token": csrf_token(second), "choice": "ticked", "member": str(member.id)}
    review = colleague.post(f"/workforce/{org}/requests/review", data=form)
    assert review.status_code == 200  # the review page, not a refused token
    stolen = colleague.post(f"/workforce/{org}/requests/review", data={**form, "csrf_token": csrf_token(first)})
    assert stolen.status_code == 400  # the other reader's token is theirs alone


def _colleague(factory, app, organisation_id, display_name):
    """A signed-in client of another requester of the organisation, named ``display_name``."""
    user = factory.user("requester", db.session.get(Organisation, organisation_id))
    user.display_name = display_name
    db.session.commit()
    return sign_in(app.test_client(), user)


def test_each_reader_sees_their_own_name_path_and_messages(register, factory, app):  # noqa: F811
    client, manager, _function, _people = register
    org = manager.organisation_id
    colleague = _colleague(factory, app, org, "Colleague <b>Name</b>")
    first = _page(client, org, "?page=1")
    second = _page(colleague, org, "?page=1")  # the page kept for the first reader
    assert manager.display_name in first and manager.display_name not in second
    assert "Colleague &lt;b&gt;Name&lt;/b&gt;" in second and "<b>Name</b>" not in second
    assert f'name="next" value="/workforce/{org}/compliance?page=1"' in second
    assert f'name="next" value="/workforce/{org}/compliance"' in _page(colleague, org)
    with colleague.session_transaction() as session:
        session["_flashes"] = [("success", "Your message, once")]
    assert "Your message, once" in _page(colleague, org, "?page=1")
    assert "Your message, once" not in _page(colleague, org, "?page=1")
    assert "\x00" not in first + second


def test_hr_gets_no_tick_boxes_from_a_requesters_kept_page(register, factory, app):  # noqa: F811
    client, manager, _function, _people = register
    org = manager.organisation_id
    assert 'name="page_member"' in _page(client, org)
    hr = sign_in(app.test_client(), factory.user("hr", db.session.get(Organisation, org)))
    page = _page(hr, org)
    assert 'name="page_member"' not in page and "/requests/review" not in page
    assert 'name="page_member"' in _page(client, org)


def test_another_organisations_kept_page_is_not_found(register, factory, app):  # noqa: F811
    client, manager, _function, _people = register
    org = manager.organisation_id
    _page(client, org)  # kept now
    stranger = sign_in(app.test_client(), factory.user("requester", factory.organisation()))
    response = stranger.get(f"/workforce/{org}/compliance")
    assert response.status_code == 404
    assert "Renamed" not in response.text and 'name="page_member"' not in response.text


def test_a_search_and_a_page_past_the_last_are_not_kept(register, app):  # noqa: F811
    client, manager, _function, _people = register
    org = manager.organisation_id
    app.extensions.pop("screening.compliance_pages", None)
    _page(client, org, "?q=covered")
    _page(client, org, "?page=99")
    assert not app.extensions.get("screening.compliance_pages")
    _page(client, org, "?page=1")
    assert len(app.extensions["screening.compliance_pages"]) == 1


def test_an_unchanged_page_costs_one_statement_of_its_own(register, app):  # noqa: F811
    client, manager, _function, _people = register
    org = manager.organisation_id
    _page(client, org)
    kept = dict(app.extensions["screening.compliance_pages"])
    seen = statements_during(app, lambda: _page(client, org))
    # The one statement of the view (the organisation and its counters, screening.db.Prepared) is not an
    # engine event; the lines, the counts and the organisation's row are not read again.
    assert not [s for s in seen if "workforce_members" in s or "FROM organisations" in s], seen
    assert app.extensions["screening.compliance_pages"] == kept


def test_the_authority_opens_any_organisation_but_no_missing_one(register, factory, app):  # noqa: F811
    client, manager, _function, _people = register
    org = manager.organisation_id
    officer = sign_in(app.test_client(), factory.user("officer"))
    assert 'name="page_member"' in _page(client, org)
    page = _page(officer, org)  # after the requester's page: the officer's own, without tick boxes
    assert "Covered" in page and 'name="page_member"' not in page
    for missing in (org + 1000, 2**62, 2**63 - 1, 2**63, 2**64, 10**30):
        assert officer.get(f"/workforce/{missing}/compliance").status_code == 404
    assert officer.get("/workforce/-1/compliance").status_code == 404


@pytest.mark.postgresql  # SQLite has one writer at a time
def test_writers_in_two_organisations_take_the_counters_at_commit(factory, app):
    first, second = factory.organisation(), factory.organisation()
    function = factory.function()
    manager_a, manager_b = factory.user("requester", first), factory.user("requester", second)
    members = {}
    for manager, organisation in ((manager_a, first), (manager_b, second)):
        for n in range(2):
            details = factory.person_details()
            members[organisation.id, n] = add_member(Actor.of(manager), vault(), organisation.id,
                                                     _fields(details, function, today()))  # fmt: skip
    db.session.commit()
    ids = {key: member.id for key, member in members.items()}
    before = page_memo.version(first.id)[0], page_memo.version(second.id)[0]
    maker = session_factory(app)
    one, two = maker(), maker()
    touch = update(Member).values(version=Member.version + 1)
    try:
        for session in (one, two):
            session.execute(text("SET LOCAL lock_timeout = '2s'"))
        one.execute(touch.where(Member.id == ids[first.id, 0]))
        two.execute(touch.where(Member.id == ids[second.id, 0]))
        one.execute(touch.where(Member.id == ids[second.id, 1]))  # would wait on two's lock if taken now
        two.execute(touch.where(Member.id == ids[first.id, 1]))
        one.commit()
        two.commit()
    finally:
        one.close()
        two.close()
    fresh()
    after = page_memo.version(first.id)[0], page_memo.version(second.id)[0]
    assert after == (before[0] + 2, before[1] + 2)  # once per transaction and organisation


def test_a_nul_in_a_readers_own_values_never_reaches_the_kept_page(register, factory, app, backend):  # noqa: F811
    client, manager, _function, _people = register
    org = manager.organisation_id
    name = "Ann \x00csrf\x00 Smith"  # a name that looks like a slot, as a directory could hand it over
    if backend == "postgresql":  # PostgreSQL stores no NUL at all: such a name never reaches any page
        with pytest.raises(DataError, match="NUL"):
            _colleague(factory, app, org, name)
        db.session.rollback()
        kept = _page(client, org, "?page=1")
    else:  # SQLite keeps it: filled in as text, never as a slot
        odd_page = _colleague(factory, app, org, name).get(f"/workforce/{org}/compliance?page=1")
        kept = _page(client, org, "?page=1")  # kept once the odd reader's request built it
        assert odd_page.status_code == 200 and name in odd_page.text  # the text, not a token
    assert manager.display_name in kept and "Ann" not in kept and "\x00" not in kept
    # a NUL in the path to come back to is refused at the door and keeps nothing
    assert client.get(f"/workforce/{org}/compliance?page=1&q=%00").status_code == 400
    assert _same(_page(client, org, "?page=1")) == _same(kept)
