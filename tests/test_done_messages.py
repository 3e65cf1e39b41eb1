"""Every flash after a step says in words what happened, from one declaration (workflows/done.py)."""

from __future__ import annotations

import pytest

from screening.applications.models import Application
from screening.db import db
from tests.conftest import csrf_token, fresh
from workflows.application import APPLICATION
from workflows.clearance import CLEARANCE
from workflows.done import DONE


@pytest.mark.nodb
def test_every_declared_transition_has_its_sentence():
    declared = {(machine.name, t.event, t.target) for machine in (APPLICATION, CLEARANCE) for t in machine.transitions}
    assert declared - DONE.keys() == set()
    assert DONE.keys() - declared == set()  # no sentence for a step that no longer exists
    assert all("%(reference)s" in sentence for sentence in DONE.values())


SUBMITTED = {
    "en": "Application {ref} submitted; the person has been asked for consent.",
    "nl": "Aanvraag {ref} ingediend; de betrokkene is om toestemming gevraagd.",
    "fr": "Demande {ref} introduite ; le consentement de la personne a été demandé.",
}


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_submitting_says_what_happened_in_the_users_language(as_role, factory, language):
    client, requester = as_role("requester")
    application = factory.application("draft", requester=requester)
    page = client.get(f"/applications/{application.id}")
    fresh()
    version = db.session.get(Application, application.id).version
    response = client.post(
        f"/applications/{application.id}/submit",
        data={"submit-csrf_token": csrf_token(page.text), "submit-version": str(version)},
        headers={"Accept-Language": language},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert SUBMITTED[language].format(ref=application.reference) in response.text.replace("&#39;", "'")
    assert "Done:" not in response.text
