"""The database never holds a plain national register number: the raw SQLite file (and its write-ahead log)
and a PostgreSQL dump are searched for the number, in both forms, after applications made through the
forms; lookups by number still find the person ("screened once")."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

from sqlalchemy import func, make_url, select

from screening.db import db
from screening.extensions import vault
from screening.people.identifiers import make_national_number, parse_national_number
from screening.people.models import Person
from screening.people.operations import PersonDetails, find_person
from tests.conftest import fresh, require_service
from tests.privacy.conftest import act, new_application

BORN = date(2001, 2, 14)  # born from 2000: the checksum takes the "2" prefix


def _raw_database(url: str) -> bytes:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    pg_dump = shutil.which("pg_dump") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))), None)
    if pg_dump is None:
        require_service("pg_dump", "the PostgreSQL client tools are not installed")
    environment = {**os.environ, "PGPASSWORD": parsed.password or ""}
    command = [
        str(pg_dump), "--data-only", "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
        "-U", parsed.username or "postgres", parsed.database or "",
    ]  # fmt: skip
    return subprocess.run(command, env=environment, capture_output=True, check=True, timeout=60).stdout


def test_no_plain_national_number_at_rest_and_lookups_still_work(app, factory, as_role, database_url):
    number = parse_national_number(make_national_number(BORN, 77))
    function = factory.function()
    first_client, _ = as_role("requester")
    second_client, _ = as_role("requester")  # another employer, typing the number the other way
    first = new_application(
        first_client, function.id, given_names="Yasmine", family_name="Peeters",
        date_of_birth=BORN.isoformat(), national_number=number.digits,
    )  # fmt: skip
    assert act(first_client, first, "submit").status_code == 302
    second = new_application(
        second_client, function.id, given_names="Yasmine", family_name="Peeters",
        date_of_birth=BORN.isoformat(), national_number=number.formatted,
    )  # fmt: skip
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1  # the same person, found by hash
    details = PersonDetails("Y", "P", BORN, "BE", national_number=number.formatted)
    person = find_person(vault(), details)
    assert person is not None and person.family_name == "Peeters"
    assert vault().decrypt(person.national_number_encrypted) == number.digits
    assert second != first

    db.session.remove()
    app.extensions["screening.engine"].dispose()  # nothing buffered: what is stored is on disk
    raw = _raw_database(database_url)
    assert b"Peeters" in raw  # the search does look at the stored data
    for form in (number.digits, number.formatted, number.digits[:6] + "-" + number.digits[6:]):
        assert form.encode() not in raw, form
