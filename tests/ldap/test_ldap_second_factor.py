"""Directory accounts of the authority's roles enrol a second factor here, unless the configuration says
the directory enforces one itself (the session's real slapd)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from screening.auth.ldap import close_directory
from tests.conftest import data_context
from tests.ldap.test_ldap_app import attempt
from tests.support.slapd import password_for

REQUIRED = ["officer", "admin", "auditor"]


@pytest.fixture
def directory_app(make_app: Callable[..., Flask], ldap_settings: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    built: list[Flask] = []

    def build(**security: Any) -> Flask:
        application = make_app(ldap=ldap_settings, security={"second_factor_roles": REQUIRED, **security})
        built.append(application)
        return application

    yield build
    for application in built:
        close_directory(application)


@pytest.mark.parametrize("uid", ["olga", "aude"])
def test_a_directory_officer_or_auditor_enrols_here(directory_app, uid: str) -> None:
    app = directory_app()
    with data_context(app):
        client = app.test_client()
        response = attempt(client, uid, password_for(uid))
        assert response.headers["Location"] == "/account/second-factor"
        assert client.get("/applications").headers["Location"] == "/account/second-factor"


def test_unless_the_directory_enforces_one(directory_app) -> None:
    app = directory_app(directory_enforces_second_factor=True)
    with data_context(app):
        client = app.test_client()
        assert attempt(client, "olga", password_for("olga")).status_code == 302
        assert client.get("/queue").status_code == 200
