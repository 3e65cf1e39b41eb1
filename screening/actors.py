"""Who is acting: a signed-in user, the person through a signed link, or the scheduler.

Operations take an :class:`Actor` instead of reading the request, so the same operation serves the web,
the CLI and scheduled jobs, and the audit trail always knows who, in which role, from which address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from workflows.roles import EMPLOYER_ROLES


class Account(Protocol):
    """What an actor is made from: a signed-in account (``User`` or ``SignedInUser`` of :mod:`screening.auth`)."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def organisation_id(self) -> int | None: ...


@dataclass(frozen=True)
class Actor:
    label: str
    role: str
    user_id: int | None = None
    organisation_id: int | None = None
    client_address: str | None = None

    @classmethod
    def of(cls, user: Account, client_address: str | None = None) -> Actor:
        return cls(
            label=user.username,
            role=user.role,
            user_id=user.id,
            organisation_id=user.organisation_id,
            client_address=client_address,
        )

    @classmethod
    def system(cls, job: str = "scheduler") -> Actor:
        return cls(label=f"system:{job}", role="system")

    @classmethod
    def person(cls, person_id: int, client_address: str | None = None) -> Actor:
        return cls(label=f"person:{person_id}", role="person", client_address=client_address)

    @property
    def is_employer(self) -> bool:
        return self.role in EMPLOYER_ROLES
