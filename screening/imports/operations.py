"""An import of a register file: uploaded (the file kept encrypted), checked by the job into a preview of
what each row would do, then confirmed and applied by the job through the register's own operations
(:func:`screening.workforce.operations.add_or_update_members`, a batch at a time), or discarded.

Checking and applying are generators that yield after each batch of rows, so the job commits there and the
page's progress bar moves; neither commits itself. Both can start again after a crash: a check starts
from the file again, an apply takes the rows it has not written yet (the register's operation is keyed by
personnel number, so writing a row twice changes nothing the second time).
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy import delete, func, insert, select, update

from screening.actors import Actor
from screening.audit.operations import record
from screening.auth.models import User
from screening.clock import local_date
from screening.config import ImportsConfig
from screening.db import db
from screening.errors import Conflict, DomainError, NotAllowed
from screening.imports.models import RegisterImport, RegisterImportRow
from screening.imports.tabular import TableError, estimate_rows, open_table
from screening.imports.validation import CheckedRow, RowChecker, catalogue, table_message
from screening.inputs import clean
from screening.vault import IdentifierVault
from screening.workforce.models import WorkforceMember
from screening.workforce.operations import MemberFields, add_or_update_member, add_or_update_members, record_leaver

BATCH = 500
#: The register's columns an import compares with a row (the national number through its keyed hash).
COMPARED = {
    "given_names": "given_names",
    "family_name": "family_name",
    "date_of_birth": "date_of_birth",
    "function_id": "function_id",
    "start_date": "started_on",
}
NUMBER_KIND = "BE-NRN"


def _check_actor(actor: Actor, organisation_id: int) -> None:
    if actor.role != "requester" or actor.organisation_id != organisation_id:
        raise NotAllowed("Only the organisation's screening manager can import into its register.")


def upload(
    actor: Actor, vault: IdentifierVault, content: bytes, filename: str, locale: str, now: datetime
) -> RegisterImport:
    """A new import of the actor's organisation, waiting for the job to check it; the file is kept
    encrypted (it holds national register numbers) until the import is applied, refused or discarded."""
    organisation_id = actor.organisation_id or 0
    _check_actor(actor, organisation_id)
    name = filename.strip()[:200] if clean(filename) and filename.strip() else "upload"
    job = RegisterImport(
        organisation_id=organisation_id, uploaded_by=actor.user_id, filename=name, locale=locale,
        state="checking", content=vault.encrypt(base64.b64encode(content).decode()), created_at=now, updated_at=now,
    )  # fmt: skip
    db.session.add(job)
    db.session.flush()
    record(actor, "upload_register_import", "register_import", job.id, organisation_id=organisation_id, now=now)
    return job


def _content(vault: IdentifierVault, job: RegisterImport) -> bytes:
    return base64.b64decode(vault.decrypt(job.content or ""))


def _json_values(values: dict[str, Any]) -> str:
    return json.dumps({key: value.isoformat() if isinstance(value, date) else value for key, value in values.items()})


def _values(payload: str) -> dict[str, Any]:
    values = json.loads(payload)
    for key in ("date_of_birth", "start_date", "end_date"):
        if values.get(key):
            values[key] = date.fromisoformat(values[key])
    return values


def _changes(member: WorkforceMember, values: dict[str, Any], vault: IdentifierVault) -> list[str]:
    """What the row would change in the register's entry (field names of the file)."""
    changed = [key for key, column in COMPARED.items() if getattr(member, column) != values[key]]
    if vault.lookup_hash(NUMBER_KIND, values["national_number"]) != member.identity_hash:
        changed.append("national_number")
    if values.get("end_date") is not None and values["end_date"] != member.ended_on:
        changed.append("end_date")
    return changed


def _stage(job: RegisterImport, rows: list[CheckedRow], vault: IdentifierVault) -> None:
    """Each checked row with what it would do: one query for the register's entries of the batch, one insert."""
    if not rows:
        return
    numbers = [row.values["personnel_number"] for row in rows if row.valid]
    existing = {
        member.personnel_number: member
        for member in db.session.scalars(
            select(WorkforceMember).where(
                WorkforceMember.organisation_id == job.organisation_id, WorkforceMember.personnel_number.in_(numbers)
            )
        )
    }
    staged = []
    for row in rows:
        values = row.values
        entry = {"import_id": job.id, "line": row.number, "personnel_number": values.get("personnel_number", ""),
                 "family_name": values.get("family_name", ""), "given_names": values.get("given_names", ""),
                 "problems": None, "changes": None, "payload": None}  # fmt: skip
        if not row.valid:
            entry |= {"action": "error", "problems": json.dumps(row.errors)}
        else:
            member = existing.get(values["personnel_number"])
            changes = [] if member is None else _changes(member, values, vault)
            action = "add" if member is None else "update" if changes else "unchanged"
            entry["action"] = action
            if action != "unchanged":
                entry["payload"] = vault.encrypt(_json_values(values))
                entry["changes"] = ",".join(changes) if action == "update" else None
        staged.append(entry)
    if staged:
        db.session.execute(insert(RegisterImportRow), staged)


def _flag_repeated(job: RegisterImport, repeated: dict[int, str]) -> None:
    """The first row of each repeated personnel number: wrong too, now that the file has been read."""
    if not repeated:
        return
    rows = db.session.scalars(
        select(RegisterImportRow).where(RegisterImportRow.import_id == job.id, RegisterImportRow.line.in_(repeated))
    )
    for row in rows:
        problems = json.loads(row.problems) if row.problems else {}
        problems.setdefault("personnel_number", repeated[row.line])
        row.action, row.problems, row.payload, row.changes = "error", json.dumps(problems), None, None


def _count(job: RegisterImport) -> None:
    counts = dict(
        db.session.execute(
            select(RegisterImportRow.action, func.count())
            .where(RegisterImportRow.import_id == job.id)
            .group_by(RegisterImportRow.action)
        ).all()
    )
    job.to_add, job.to_update = counts.get("add", 0), counts.get("update", 0)
    job.unchanged, job.errors, job.failed = counts.get("unchanged", 0), counts.get("error", 0), counts.get("failed", 0)


def check(job: RegisterImport, vault: IdentifierVault, *, max_rows: int, today: date, now: datetime) -> Iterator[int]:
    """Read and check the file into the preview, yielding the rows done after each batch (the job commits
    there). A file refused as a whole (no column names, too many rows, unreadable) keeps no row."""
    db.session.execute(delete(RegisterImportRow).where(RegisterImportRow.import_id == job.id))
    content = io.BytesIO(_content(vault, job))
    job.rows_done, job.rows_total = 0, min(estimate_rows(content), max_rows)
    yield 0
    checker = RowChecker(catalogue(), today)
    with force_locale(job.locale):
        try:
            with open_table(content, max_rows) as table:
                batch: list[CheckedRow] = []
                for line in table.lines:
                    batch.append(checker.check(line))
                    if len(batch) == BATCH:
                        yield _progress(job, batch, vault, now)
                        batch = []
                _progress(job, batch, vault, now)
            _flag_repeated(job, checker.repeated_first_rows())
        except TableError as error:
            db.session.execute(delete(RegisterImportRow).where(RegisterImportRow.import_id == job.id))
            job.state, job.message, job.content, job.rows_done = "refused", table_message(error), None, 0
            job.updated_at = now
            return
    _count(job)
    job.state, job.rows_total, job.updated_at = "checked", job.rows_done, now


def _progress(job: RegisterImport, batch: list[CheckedRow], vault: IdentifierVault, now: datetime) -> int:
    _stage(job, batch, vault)
    job.rows_done += len(batch)
    job.rows_total = max(job.rows_total, job.rows_done)
    job.updated_at = now
    return job.rows_done


def work(job: RegisterImport, vault: IdentifierVault, config: ImportsConfig, now: datetime) -> Iterator[int]:
    """The job's step for one import: check it into its preview, or write it as the manager who confirmed."""
    if job.state == "checking":
        yield from check(job, vault, max_rows=config.max_rows, today=local_date(now), now=now)
    elif job.state == "applying":
        user = db.session.get(User, job.confirmed_by) if job.confirmed_by else None
        actor = Actor.of(user, job.confirmed_from) if user is not None else Actor.system("register_imports")
        yield from apply(job, actor, vault, now)


def confirm(actor: Actor, job: RegisterImport, expected_version: int, now: datetime) -> None:
    """The manager confirms the preview they saw: the job writes its rows to add and update."""
    _check_actor(actor, job.organisation_id)
    if job.state != "checked" or job.version != expected_version:
        raise Conflict("This import has changed since you saw it. Review it again.")
    job.state = "applying" if job.to_add + job.to_update else "applied"
    job.confirmed_by, job.confirmed_from = actor.user_id, actor.client_address
    job.rows_done, job.rows_total, job.updated_at = 0, job.to_add + job.to_update, now
    if job.state == "applied":
        job.content = None
    record(actor, "confirm_register_import", "register_import", job.id, organisation_id=job.organisation_id,
           reason=f"add {job.to_add}, update {job.to_update}", now=now)  # fmt: skip
    db.session.flush()


def discard(actor: Actor, job: RegisterImport, now: datetime) -> None:
    """The manager drops the preview: the file and the rows' values are erased; the register is untouched."""
    _check_actor(actor, job.organisation_id)
    if job.state != "checked":
        raise Conflict("This import has changed since you saw it. Review it again.")
    _erase(job, now)
    record(actor, "discard_register_import", "register_import", job.id, organisation_id=job.organisation_id, now=now)
    db.session.flush()


def expire_previews(now: datetime, keep_days: int) -> int:
    """Discard the previews nobody confirmed within ``keep_days``: the file and the rows' values erased."""
    stale = db.session.scalars(
        select(RegisterImport).where(
            RegisterImport.state == "checked", RegisterImport.updated_at < now - timedelta(days=keep_days)
        )
    ).all()
    for job in stale:
        _erase(job, now)
        record(Actor.system("register_imports"), "discard_register_import", "register_import", job.id,
               organisation_id=job.organisation_id, reason=f"not confirmed in {keep_days} days", now=now)  # fmt: skip
    return len(stale)


def _erase(job: RegisterImport, now: datetime) -> None:
    """A discarded preview: the file and the values of its rows erased; the rows' results stay."""
    job.state, job.content, job.updated_at = "discarded", None, now
    db.session.execute(update(RegisterImportRow).where(RegisterImportRow.import_id == job.id).values(payload=None))


def apply(job: RegisterImport, actor: Actor, vault: IdentifierVault, now: datetime) -> Iterator[int]:
    """Write the confirmed rows to the register as ``actor`` (the manager who confirmed), a batch at a time,
    yielding the rows done. A row the register refuses now (someone changed it meanwhile, the function left
    the catalogue) is marked failed with the register's message; the others are written."""
    with force_locale(job.locale):
        while True:
            rows = db.session.scalars(
                select(RegisterImportRow)
                .where(RegisterImportRow.import_id == job.id, RegisterImportRow.payload.is_not(None))
                .order_by(RegisterImportRow.id)
                .limit(BATCH)
            ).all()
            _apply_batch(job, rows, actor, vault, now)
            job.rows_done += len(rows)
            job.updated_at = now
            if len(rows) < BATCH:
                break
            yield job.rows_done
    _count(job)
    job.state, job.content, job.updated_at = "applied", None, now


def _apply_batch(
    job: RegisterImport, rows: Sequence[RegisterImportRow], actor: Actor, vault: IdentifierVault, now: datetime
) -> None:
    """The batch's joiners and changes in one write of the register (:func:`add_or_update_members`); a
    leaver's row, and the whole batch when the register refuses it as a batch (a personnel number added
    meanwhile), a row at a time through the form's operation."""
    decoded = [(row, _values(vault.decrypt(row.payload or ""))) for row in rows]
    batch = [(row, values) for row, values in decoded if values.get("end_date") is None]
    try:
        with db.session.begin_nested():
            outcomes = add_or_update_members(
                actor, vault, job.organisation_id, [_fields(values) for _row, values in batch], now=now
            )
    except DomainError:
        batch, outcomes = [], []
    for (row, _), outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, DomainError):
            _failed(row, outcome)
        elif not outcome[1]:
            row.action = "unchanged"
        row.payload = None
    for row, _ in decoded:
        if row.payload is not None:
            _apply_row(job, row, actor, vault, now)


def _fields(values: dict[str, Any]) -> MemberFields:
    return MemberFields(
        personnel_number=values["personnel_number"], given_names=values["given_names"],
        family_name=values["family_name"], date_of_birth=values["date_of_birth"], function_id=values["function_id"],
        started_on=values["start_date"], national_number=values["national_number"],
    )  # fmt: skip


def _failed(row: RegisterImportRow, error: DomainError) -> None:
    """The row the register refused, with its message at the file's column."""
    problem = gettext(error.template, **error.params)
    row.action, row.problems = "failed", json.dumps({_file_field(error.field): problem})


def _apply_row(
    job: RegisterImport, row: RegisterImportRow, actor: Actor, vault: IdentifierVault, now: datetime
) -> None:
    values = _values(vault.decrypt(row.payload or ""))
    fields = _fields(values)
    try:
        with db.session.begin_nested():
            member, changed = add_or_update_member(actor, vault, job.organisation_id, fields, now=now)
            end = values.get("end_date")
            if end is not None and end != member.ended_on:
                record_leaver(actor, member, end, expected_version=member.version, now=now)
                changed = (*changed, "end_date")
    except DomainError as error:
        _failed(row, error)
    else:
        if not changed:
            row.action = "unchanged"
    row.payload = None


def _file_field(field: str | None) -> str:
    """The file's column for a field the register names (``started_on`` is the file's start date)."""
    return {"started_on": "start_date", "ended_on": "end_date", "function_id": "function_code"}.get(
        field or "", field or "personnel_number"
    )
