"""Every model, imported once so the metadata is complete (Alembic, tests, the CLI)."""

from screening.api.models import ApiToken, IdempotentRequest
from screening.applications.models import Application, ConsentDocument, InfoAttachment
from screening.audit.models import AuditEntry, AuditErasure, AuditTreeHead, AuditTreeNode
from screening.auth.models import LoginAttempt, User
from screening.catalogue.models import CriticalFunction
from screening.certificates.models import CertificateCheck, CertificateIssue
from screening.clearances.models import Clearance, RecognitionNotice
from screening.db import Base
from screening.decisions.models import Decision, DecisionDocument
from screening.imports.models import RegisterImport, RegisterImportRow
from screening.jobs.models import JobRun, SchedulerLease
from screening.notifications.models import MailOptOut, OutboxMessage
from screening.organisations.models import Organisation
from screening.people.models import Person
from screening.person_link.models import ConsentCodeAttempt, ConsentRequest
from screening.references import ReferenceCounter
from screening.reminders.models import RegisterReminder
from screening.reports.models import Report
from screening.statuslist.models import StatusEntry
from screening.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from screening.workforce.models import ChangeCounter, WorkforceMember

__all__ = [
    "ApiToken",
    "Application",
    "AuditErasure",
    "AuditTreeHead",
    "AuditTreeNode",
    "AuditEntry",
    "Base",
    "CertificateCheck",
    "CertificateIssue",
    "ChangeCounter",
    "Clearance",
    "ConsentCodeAttempt",
    "ConsentDocument",
    "ConsentRequest",
    "CriticalFunction",
    "Decision",
    "DecisionDocument",
    "IdempotentRequest",
    "InfoAttachment",
    "JobRun",
    "LoginAttempt",
    "MailOptOut",
    "Organisation",
    "OutboxMessage",
    "Person",
    "RecognitionNotice",
    "ReferenceCounter",
    "RegisterImport",
    "RegisterImportRow",
    "RegisterReminder",
    "Report",
    "SchedulerLease",
    "StatusEntry",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WorkforceMember",
]
