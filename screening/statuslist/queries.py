"""Reading the status list and issuing it signed: one query for the entries, the text built by joining
lines, one signature. Nothing here is about a person or an organisation: every access-control token reads
the same list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Select, String, func, select, type_coerce

from screening.db import db
from screening.statuslist import canonical
from screening.statuslist.models import StatusEntry
from screening.statuslist.operations import head


def _entries(dialect: str) -> Select[tuple[int, str, str, str]]:
    """The list's select, its day as text from the database itself (``to_char`` on PostgreSQL, whatever its
    DateStyle; SQLite keeps dates as text): a date object per entry, then its text, cost as much as the
    rows themselves."""
    day = StatusEntry.entered_on
    text = func.to_char(day, "YYYY-MM-DD") if dialect == "postgresql" else type_coerce(day, String)
    return select(StatusEntry.id, StatusEntry.code, StatusEntry.status, text).order_by(StatusEntry.id)


@dataclass(frozen=True)
class IssuedList:
    """One issue of the list: the signed text and what the JSON form needs beside it."""

    issued_at: str
    kid: str
    since: int
    sequence: int
    rows: list[tuple[int, str, str, str]]
    signed_text: str
    signature: str

    @property
    def text(self) -> str:
        """The plain text file: the signed text and the signature line."""
        return self.signed_text + canonical.signature_line(self.signature)

    def json(self) -> str:
        """The JSON form, written as text (every value is a code, a status, a date or a number: nothing to
        escape), the same fields and the same signature as the text file."""
        entries = ",".join(
            f'{{"code":"{code}","status":"{status}","date":"{day}","sequence":{sequence}}}'
            for sequence, code, status, day in self.rows
        )
        return (
            f'{{"issued_at":"{self.issued_at}","kid":"{self.kid}","since":{self.since},'
            f'"sequence":{self.sequence},"entries":[{entries}],"signature":"{self.signature}"}}'
        )


def issue_list(signing_key: Ed25519PrivateKey, kid: str, since: int, now: datetime) -> IssuedList:
    """The entries after ``since`` (0: all of them), oldest first, signed with the certificate key."""
    # The driver's own tuples (no SQLAlchemy row per entry: a quarter of the time at 100,000 entries): every
    # column is text or a whole number as the driver gives it.
    connection = db.session.connection()
    result = connection.execute(_entries(connection.dialect.name).where(StatusEntry.id > since))
    rows: list[tuple[int, str, str, str]] = result.cursor.fetchall()
    result.close()
    sequence = rows[-1][0] if rows else head()
    issued_at = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = canonical.entry_line
    signed = canonical.header(issued_at, kid, since, sequence) + "".join(
        [line(code, status, day, number) for number, code, status, day in rows]
    )
    return IssuedList(issued_at, kid, since, sequence, rows, signed, canonical.sign(signing_key, signed))
