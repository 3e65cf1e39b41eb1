"""Reads of imports, scoped to the reader's organisation: another organisation's import answers 404."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import abort
from sqlalchemy import select

from screening.db import db
from screening.imports.models import RegisterImport, RegisterImportRow
from screening.pagination import Page, paginate

#: What the preview can list, each a filter on the rows' action.
SHOWN = {"error": ("error", "failed"), "add": ("add",), "update": ("update",), "unchanged": ("unchanged",)}


def get_import(organisation_id: int | None, import_id: int) -> RegisterImport:
    """One import of this organisation, or 404."""
    job = db.session.scalar(
        select(RegisterImport).where(RegisterImport.id == import_id, RegisterImport.organisation_id == organisation_id)
    )
    if job is None:
        abort(404)
    return job


def recent_imports(organisation_id: int | None, limit: int = 10) -> list[RegisterImport]:
    return list(
        db.session.scalars(
            select(RegisterImport)
            .where(RegisterImport.organisation_id == organisation_id)
            .order_by(RegisterImport.id.desc())
            .limit(limit)
        )
    )


def pending_imports() -> list[RegisterImport]:
    """Imports waiting for the job: to check, or confirmed and to apply, oldest first."""
    return list(
        db.session.scalars(
            select(RegisterImport).where(RegisterImport.state.in_(("checking", "applying"))).order_by(RegisterImport.id)
        )
    )


def rows_page(job: RegisterImport, shown: str, page: int, per_page: int) -> Page[Any]:
    statement = (
        select(RegisterImportRow)
        .where(RegisterImportRow.import_id == job.id, RegisterImportRow.action.in_(SHOWN[shown]))
        .order_by(RegisterImportRow.line)
    )
    return paginate(statement, page, per_page)


def all_rows(job: RegisterImport, batch: int = 1000) -> Iterator[RegisterImportRow]:
    """Every row of the import in the file's order, read a batch at a time (the report)."""
    after = 0
    while True:
        rows = db.session.scalars(
            select(RegisterImportRow)
            .where(RegisterImportRow.import_id == job.id, RegisterImportRow.line > after)
            .order_by(RegisterImportRow.line)
            .limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].line
