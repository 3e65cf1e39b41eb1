"""SQLite's write lock: writers that read first (jobs, the CLI) take it at BEGIN and wait their turn.

A deferred transaction that reads (the audit chain's head, the rows that are due) and writes afterwards
cannot upgrade its snapshot once another connection committed: it fails at once with "database is locked".
Inside :func:`screening.db.writer` every transaction begins IMMEDIATE instead.
"""

from __future__ import annotations

import sqlite3
from contextlib import nullcontext

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from screening.db import make_engine, writer

pytestmark = pytest.mark.nodb  # its own SQLite file: PostgreSQL locks rows, not the database


def _locked_for_others(path: str) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        return "locked" in str(error)
    finally:
        other.close()


@pytest.mark.parametrize(("inside_writer", "holds_lock"), [(False, False), (True, True)])
def test_a_writer_holds_the_write_lock_from_its_first_read(tmp_path, inside_writer, holds_lock):
    path = str(tmp_path / "lock.db")
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    try:
        with writer() if inside_writer else nullcontext(), Session(bind=engine) as session, session.begin():
            session.execute(text("SELECT count(*) FROM t"))
            assert _locked_for_others(path) is holds_lock
    finally:
        engine.dispose()
