"""The OpenAPI 3.1 document, written by flask-smorest from the API's views and schemas.

flask-smorest is an extension of a plain Flask app (APIFlask's blueprints need an APIFlask app: see
docs/api.md). Two of its defaults are changed here: it would answer every HTTP error of the whole app,
the pages' included, as its own JSON (the API's blueprint answers its own errors as problem documents
instead), and it documents errors as its own JSON schema (here: RFC 9457 ``application/problem+json``).
"""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api, Blueprint

from screening.api.problems import MEDIA_TYPE
from screening.api.schemas import Problem

TITLE = "Screening API"
VERSION = "1"


class ScreeningApi(Api):  # type: ignore[misc]
    ERROR_SCHEMA = Problem

    def _register_error_handlers(self) -> None:
        """None for the app: the API's blueprint has its own (screening.api.http)."""

    def _register_responses(self) -> None:
        """Every error as a problem document (flask-smorest refers to them by status name)."""
        content = {MEDIA_TYPE: {"schema": Problem}}
        for status in http.HTTPStatus:
            if status >= 400:
                response = {"description": status.phrase, "content": content}
                self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR", {"description": "A problem document (RFC 9457).", "content": content}, lazy=True
        )


def init_spec(app: Flask, blueprint: Blueprint) -> ScreeningApi:
    app.config.update(
        API_TITLE=TITLE,
        API_VERSION=VERSION,
        OPENAPI_VERSION="3.1.0",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Your organisation's applications and clearances, for your HR system. "
                "Authenticate with `Authorization: Bearer <token>` (a token made on the API tokens page).",
            },
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    api = ScreeningApi(app)
    api.register_blueprint(blueprint)
    app.extensions["screening.api"] = api
    return api


def openapi_document(app: Flask) -> dict[str, Any]:
    return app.extensions["screening.api"].spec.to_dict()


# -- what operations declare in the document: one spelling for every module of views -------------------------
#: The security requirement of every operation (a bearer token).
BEARER = [{"bearer": []}]
#: The header every POST accepts (screening.api.http.idempotent).
IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 255}}


def if_match_header(what: str) -> dict[str, Any]:
    """The If-Match header a change requires, for ``what`` ("the application", "the endpoint", ...)."""
    return {
        "in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
        "description": f"The ETag of {what} as you last read it.",
    }  # fmt: skip
