"""Audited reads are queued by the view and written when the request ends, in a transaction of their own:
the view commits nothing, and the read is on record whatever becomes of the request."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from screening.actors import Actor
from screening.audit.models import AuditEntry
from screening.audit.operations import record_read
from screening.auth.access import public
from screening.db import db
from tests.conftest import data_context, fresh


def _reads(action: str) -> list[AuditEntry]:
    fresh()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_read_is_written_at_the_end_of_a_request_that_fails_after_it(make_app):
    web = make_app()
    seen_in_view: list[int] = []

    @web.route("/_test/read-then-fail")
    @public
    def read_then_fail() -> str:
        record_read(Actor.system("test"), "test_read", "application", 7)
        # nothing is written while the view runs: the request's end writes it
        seen_in_view.append(db.session.query(AuditEntry).filter_by(action="test_read").count())
        abort(409)

    with data_context(web):
        response = web.test_client().get("/_test/read-then-fail")
        assert response.status_code == 409
        assert seen_in_view == [0]
        entries = _reads("test_read")
        assert [(e.object_type, e.object_id, e.actor) for e in entries] == [("application", 7, "system:test")]
