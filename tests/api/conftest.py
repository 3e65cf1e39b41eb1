"""API tests: tokens made through the real operation, calls through the real app with a bearer header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from screening.actors import Actor
from screening.api.operations import create_token
from screening.db import db


class ApiClient:
    """A test client that sends ``Authorization: Bearer <token>`` (and JSON) on every call."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self._headers(headers), **kwargs)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        if json is not None:
            kwargs["json"] = json
        return self.client.post(path, headers=self._headers(headers), **kwargs)

    def patch(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(path, json=json, headers=self._headers(headers))

    def delete(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(path, headers=self._headers(headers))


@pytest.fixture
def make_token(app: Flask) -> Callable[..., tuple[str, Any]]:
    """``secret, token = make_token(requester, scopes=("read", "write"))``."""

    def build(user: Any, scopes: tuple[str, ...] = ("read", "write"), name: str = "HR system", **kwargs: Any) -> Any:
        token, secret = create_token(Actor.of(user), name=name, scopes=scopes, **kwargs)
        db.session.commit()
        return secret, token

    return build


@pytest.fixture
def api(app: Flask, factory: Any, make_token: Callable[..., Any]) -> Callable[..., tuple[ApiClient, Any]]:
    """``client, requester = api()``: an API client of a new organisation's screening manager."""

    def build(organisation: Any = None, scopes: tuple[str, ...] = ("read", "write")) -> tuple[ApiClient, Any]:
        requester = factory.user("requester", organisation)
        secret, _token = make_token(requester, scopes=scopes)
        return ApiClient(app.test_client(), secret), requester

    return build


def person_body(factory: Any, function: Any, **overrides: Any) -> dict[str, Any]:
    """A create-application body from the factory's person details."""
    details = factory.person_details()
    body = {
        "function_id": function.id,
        "given_names": details.given_names,
        "family_name": details.family_name,
        "date_of_birth": details.date_of_birth.isoformat(),
        "nationality": details.nationality,
        "national_number": details.national_number,
        "email": details.email,
        "locale": "nl",
    }
    body.update(overrides)
    return body
