"""Reads for the operator's tools: what a directory sign-in of one user would give, without signing in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from screening.auth.directory import Directory, DirectoryInspection
from screening.auth.models import User
from screening.auth.operations import find_organisation
from screening.db import db
from screening.organisations.models import Organisation


@dataclass(frozen=True)
class Lookup:
    """The directory's answer about one user, and what the application makes of it."""

    inspection: DirectoryInspection
    #: The organisation the mapping names, when the application knows it.
    organisation: Organisation | None
    #: The application's account of that name, if any (local, or synced at an earlier sign-in).
    account: User | None
    #: Why a sign-in would be refused, or None.
    problem: str | None

    @property
    def organisation_label(self) -> str:
        key = self.inspection.organisation_key
        if key is None:
            return "(none)"
        return f"{key} ({self.organisation.name})" if self.organisation else f"{key} (not in the application)"

    def rows(self) -> list[tuple[str, str]]:
        """The inspection's rows, the organisation resolved and the final verdict (command line)."""
        rows = []
        for label, value in self.inspection.rows():
            if label == "organisation":
                value = self.organisation_label
            elif label == "sign-in":
                value = f"refused: {self.problem}" if self.problem else "allowed"
            rows.append((label, value))
        if self.account is not None:
            rows.insert(
                -2, ("account here", f"{self.account.source}, {'active' if self.account.active else 'deactivated'}")
            )
        return rows


def lookup(directory: Directory, username: str) -> Lookup:
    """Ask the directory about ``username`` with the service account (raises on an unreachable
    directory or a TLS failure, as a sign-in would) and check the answer against the database."""
    inspection = directory.inspect(username)
    problem = inspection.problem
    organisation = None
    if inspection.organisation_key is not None:
        organisation = find_organisation(inspection.organisation_key)
        if organisation is None and problem is None:
            problem = f"organisation mapping {inspection.organisation_key!r} matches no organisation in the application"
    # The typed name decides, as at sign-in: a local account of that name is checked locally.
    account = db.session.scalar(select(User).where(User.username == inspection.username.strip().lower()))
    if account is not None and problem is None:
        if account.source == "local":
            problem = "a local account has this name: it signs in with its local password, never the directory's"
        elif not account.active:
            problem = "the account is deactivated in the application"
    return Lookup(inspection=inspection, organisation=organisation, account=account, problem=problem)
