"""Deny by default: every endpoint declares who may use it, or it answers 403.

Views are marked with :func:`roles` or :func:`public`; :func:`enforce` runs before every request and
refuses unmarked endpoints, so forgetting a decorator closes a door rather than opening one.
Organisation scoping is done in each domain's ``queries.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import current_user

from workflows.roles import ACCOUNT_ROLES

F = TypeVar("F", bound=Callable[..., Any])

#: The session key saying how this session proved its second factor (absent: it did not).
SECOND_FACTOR = "_second_factor"

ALL_ROLES = frozenset(ACCOUNT_ROLES)
#: The API's endpoints (screening.api.http): a bearer token and a scope per view, refused without either.
API_ENDPOINTS = "api."


def roles(*allowed: str) -> Callable[[F], F]:
    """The view needs a signed-in user holding one of ``allowed``."""
    unknown = set(allowed) - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def mark(view: F) -> F:
        view.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return mark


def signed_in(view: F) -> F:
    """Any signed-in user (sign-out, language choice, the dashboard)."""
    view.allowed_roles = ALL_ROLES  # type: ignore[attr-defined]
    return view


def enrolment(view: F) -> F:
    """Reachable by a signed-in account that still has to enrol its second factor (and by every other)."""
    view.allowed_roles = ALL_ROLES  # type: ignore[attr-defined]
    view.enrolment = True  # type: ignore[attr-defined]
    return view


def public(view: F) -> F:
    """No sign-in: only sign-in, the person's link, certificate verification, health and static files."""
    view.public = True  # type: ignore[attr-defined]
    return view


def _policy(endpoint: str | None) -> tuple[bool, frozenset[str]]:
    if endpoint is None:
        return True, frozenset()
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return True, frozenset()
    if endpoint == "static" or endpoint.endswith(".static") or getattr(view, "public", False):
        return True, frozenset()
    if endpoint.startswith(API_ENDPOINTS):  # no session: the API checks its bearer token and scope itself
        return True, frozenset()
    return False, getattr(view, "allowed_roles", frozenset())


def enforce() -> Any:
    is_public, allowed = _policy(request.endpoint)
    if is_public:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    if current_user.role not in allowed:
        abort(403)
    if not session.get(SECOND_FACTOR) and not getattr(current_app.view_functions[request.endpoint], "enrolment", False):
        from screening.auth.factors.operations import required_for
        from screening.extensions import settings

        if required_for(current_user, settings().security):  # an officer, admin or auditor without one
            return redirect(url_for("factors.enrol"))
    return None


def init_access(app: Flask) -> None:
    app.before_request(enforce)


def endpoint_policies(app: Flask) -> dict[str, str]:
    """Every endpoint and who may use it; used by the test that no endpoint is left unmarked."""
    result = {}
    for endpoint, view in app.view_functions.items():
        if endpoint == "static" or endpoint.endswith(".static") or getattr(view, "public", False):
            result[endpoint] = "public"
        elif endpoint.startswith(API_ENDPOINTS):
            scope = getattr(view, "api_scope", None)
            result[endpoint] = f"token:{scope}" if scope else "nobody"
        else:
            result[endpoint] = ",".join(sorted(getattr(view, "allowed_roles", ()))) or "nobody"
    return result
