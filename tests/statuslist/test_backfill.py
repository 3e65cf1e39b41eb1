"""Migration 0029 lists the codes already printed for clearances that ended or are under re-evaluation."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import delete, select, text

from screening.db import db
from screening.statuslist.models import StatusEntry
from tests.statuslist.conftest import OFFICER, certified, revoke

MIGRATION = Path(__file__).parents[2] / "screening" / "migrations" / "versions" / "0029_status_list.py"


def _backfill() -> str:
    spec = importlib.util.spec_from_file_location("migration_0029", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BACKFILL


def test_the_table_knows_the_statuses_a_gate_reads():
    from screening.statuslist import canonical, models

    assert models.STATUSES == canonical.STATUSES


def test_the_backfill_lists_ended_and_suspended_clearances_once_each(app, factory):
    from screening.clearances.operations import fire_clearance

    revoked, revoked_code = certified(app, factory)
    revoke(revoked)
    suspended, suspended_code = certified(app, factory)
    fire_clearance(suspended, "start_reevaluation", OFFICER, reason="New facts")
    _valid, valid_code = certified(app, factory)
    db.session.commit()
    db.session.execute(delete(StatusEntry))  # as before the table existed
    db.session.execute(text(_backfill()))
    db.session.commit()
    listed = {(e.code, e.status, e.entered_on) for e in db.session.scalars(select(StatusEntry))}
    day = revoked.revoked_at.date()
    assert listed == {(revoked_code, "revoked", day), (suspended_code, "suspended", suspended.state_changed_at.date())}
    assert valid_code not in {code for code, _status, _day in listed}
