"""A refusal of the workflow reads in one language: the sentence and the state or guard it names.

Before, "This is not possible while the application is %(state)s." was translated around an English state
label ("... de status in review heeft"), and the guards' refusals were not translated at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from screening.clearances.models import Clearance
from screening.db import db
from tests.conftest import csrf_token, fresh

ILLEGAL = {
    "en": "This is not possible while the application is submitted.",
    "nl": "Dit is niet mogelijk zolang de aanvraag de status ingediend heeft.",
    "fr": "Ce n&#39;est pas possible tant que la demande a le statut introduite.",
}
WINDOW_CLOSED = {
    "en": "The appeal window has closed.",
    "nl": "De beroepstermijn is verstreken.",
    "fr": "Le délai de recours est expiré.",
}
CLEARANCE_VALID = {
    "en": "This is not possible while the clearance is valid.",
    "nl": "Dit is niet mogelijk zolang het positief advies de status geldig heeft.",
    "fr": "Ce n&#39;est pas possible tant que l&#39;avis positif a le statut valide.",
}


def _post(client: Any, path: str, event: str, version: int, language: str) -> Any:
    page = client.get(path)
    return client.post(
        f"{path}/{event}",
        data={f"{event}-csrf_token": csrf_token(page.text), f"{event}-version": str(version), f"{event}-reason": "x"},
        headers={"Accept-Language": language},
    )


def _illegal_step(factory: Any) -> tuple[Any, str, str, dict[str, str]]:
    application = factory.application("submitted")
    return application, f"/applications/{application.id}", "advise_negative", ILLEGAL


def _appeal_too_late(factory: Any) -> tuple[Any, str, str, dict[str, str]]:
    application = factory.application("negative", now=datetime.now(UTC) - timedelta(days=40))
    return application, f"/applications/{application.id}", "lodge_appeal", WINDOW_CLOSED


def _illegal_clearance_step(factory: Any) -> tuple[Any, str, str, dict[str, str]]:
    clearance = db.session.get(Clearance, factory.application("positive").clearance_id)
    return clearance, f"/clearances/{clearance.id}", "revoke", CLEARANCE_VALID


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
@pytest.mark.parametrize("case", [_illegal_step, _appeal_too_late, _illegal_clearance_step], ids=lambda c: c.__name__)
def test_a_refusal_reads_in_the_users_language(as_role, factory, case, language):
    officer_client, _ = as_role("officer")
    target, path, event, messages = case(factory)
    state = target.state
    response = _post(officer_client, path, event, target.version, language)
    assert response.status_code == 409
    assert messages[language] in response.text
    fresh()
    assert db.session.get(type(target), target.id).state == state  # nothing moved
