"""Who acts on a file: the roles of user accounts, the person (signed link) and the system (scheduler)."""

from __future__ import annotations

from enum import StrEnum

from workflows.text import N_


class Role(StrEnum):
    """A role; a member equals its plain string (``Role.OFFICER == "officer"``), as stored in the database."""

    REQUESTER = "requester"  #: an employer's screening manager
    HR = "hr"
    OFFICER = "officer"  #: a security officer of the authority
    ADMIN = "admin"
    AUDITOR = "auditor"
    PERSON = "person"  #: the worker, through a signed link (never an account)
    SYSTEM = "system"  #: the scheduler (never an account)

    @property
    def label(self) -> str:
        """The English label, marked for translation."""
        return _LABELS[self]


_LABELS = {
    Role.REQUESTER: N_("Screening manager"),
    Role.HR: N_("HR"),
    Role.OFFICER: N_("Security officer"),
    Role.ADMIN: N_("Administrator"),
    Role.AUDITOR: N_("Auditor"),
    Role.SYSTEM: N_("System"),
    Role.PERSON: N_("The person"),
}

#: Roles a user account can hold, in the order forms offer them.
ACCOUNT_ROLES: tuple[Role, ...] = (Role.REQUESTER, Role.HR, Role.OFFICER, Role.ADMIN, Role.AUDITOR)
#: The employer's roles: an account of one organisation, which sees only that organisation's files.
EMPLOYER_ROLES: frozenset[Role] = frozenset({Role.REQUESTER, Role.HR})
#: The authority's roles that read every file (officers decide, auditors only read).
AUTHORITY_ROLES: frozenset[Role] = frozenset({Role.OFFICER, Role.AUDITOR})
#: The roles that read files: every account but the administrator's.
READER_ROLES: frozenset[Role] = EMPLOYER_ROLES | AUTHORITY_ROLES
