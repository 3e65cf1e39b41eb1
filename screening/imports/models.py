"""An uploaded register file between its upload and its confirmation, and the result of each of its rows.

Nothing of the file reaches the register (``workforce_members``) before the screening manager confirms the
preview. Until then the file itself is kept encrypted with the identifier keys (it holds national register
numbers), and so are the checked values of each row to add or update; both are cleared once the import is
applied, refused or discarded. What stays is the result of each row (its action, the messages of its wrong
cells, the names of the fields an update changes), for the preview and the report.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime

#: checking (the job reads and checks the file) -> checked (the preview) | refused (the file as a whole);
#: checked -> applying (confirmed; the job writes the register) -> applied; checked -> discarded.
STATES = ("checking", "checked", "refused", "applying", "applied", "discarded")
#: What a row does to the register: add a person, update one (keyed by personnel number), nothing, or
#: nothing because a cell is wrong. After the import, ``failed`` for a row the register refused then.
ACTIONS = ("add", "update", "unchanged", "error", "failed")


class RegisterImport(Base):
    __tablename__ = "register_imports"
    __table_args__ = (
        CheckConstraint("state IN ('checking', 'checked', 'refused', 'applying', 'applied', 'discarded')",
                        name="state_known"),
        Index("ix_register_imports_org_id", "organisation_id", "id"),
        Index("ix_register_imports_state", "state", "id"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The address the confirmation came from: the register's audit entries name it.
    confirmed_from: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    #: The uploader's language: the messages of the rows are written in it.
    locale: Mapped[str] = mapped_column(String(5))
    state: Mapped[str] = mapped_column(String(12), default="checking")
    #: The file, encrypted (a Fernet token of its base64): None once applied, refused or discarded.
    content: Mapped[str | None] = mapped_column(Text)
    #: Why the file as a whole was refused, in ``locale``.
    message: Mapped[str | None] = mapped_column(Text)
    #: Progress: rows handled of the rows expected (an estimate while reading, exact once checked).
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    to_add: Mapped[int] = mapped_column(Integer, default=0)
    to_update: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class RegisterImportRow(Base):
    __tablename__ = "register_import_rows"
    __table_args__ = (Index("ix_register_import_rows_import_line", "import_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("register_imports.id", ondelete="CASCADE"))
    #: The row's number as a spreadsheet shows it (the header is row 1).
    line: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    personnel_number: Mapped[str] = mapped_column(String(64), default="")
    family_name: Mapped[str] = mapped_column(String(100), default="")
    given_names: Mapped[str] = mapped_column(String(100), default="")
    #: JSON: field -> message, in the import's language.
    problems: Mapped[str | None] = mapped_column(Text)
    #: An update: the names of the fields it changes, comma-separated.
    changes: Mapped[str | None] = mapped_column(String(200))
    #: The checked values to write (JSON, encrypted: it holds the national register number); cleared after.
    payload: Mapped[str | None] = mapped_column(Text)
