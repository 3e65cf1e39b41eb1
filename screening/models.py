"""Every model, imported once so the metadata is complete (Alembic, tests, the CLI)."""

from screening.applications.models import Application, Clearance, ReferenceCounter
from screening.audit.models import AuditEntry
from screening.auth.models import LoginAttempt, User
from screening.catalogue.models import CriticalFunction
from screening.db import Base
from screening.organisations.models import Organisation
from screening.people.models import Person

__all__ = [
    "Application",
    "AuditEntry",
    "Base",
    "Clearance",
    "CriticalFunction",
    "LoginAttempt",
    "Organisation",
    "Person",
    "ReferenceCounter",
    "User",
]
