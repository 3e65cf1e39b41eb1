"""Writing mail: every message becomes an outbox row in the current transaction, rendered in the
recipient's language; the ``deliver_mail`` job sends it after the commit (see :mod:`.mailer`).

Why rows first: a change that rolls back must not have told anybody, and a message for a change that did
commit must not be lost when the process dies before sending it. Each row carries an idempotency key
naming what it is about and for whom; writing the same key twice is a no-op, so a job that runs twice, or
two processes at once, still send one message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from screening.auth.models import User
from screening.db import db
from screening.extensions import settings
from screening.formats import format_day, format_moment
from screening.notifications.models import OutboxMessage
from screening.notifications.preferences import OPTIONAL_TEMPLATES, opted_out
from screening.organisations.models import Organisation
from workflows.roles import EMPLOYER_ROLES

#: Languages mail templates exist in (``templates/mail/<template>.<language>.txt``).
MAIL_LANGUAGES = ("en", "nl", "fr")
#: Roles of an organisation's users who hear about its files when it has no contact address.


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    #: The account the address belongs to, when it is one (its mail preferences apply); None for a person
    #: or an organisation's contact address.
    user_id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Mail:
    """One message to write: ``key`` names what it is about (the recipient is added to make it unique)."""

    key: str
    recipient: Recipient
    template: str
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        return f"{self.key}|{self.recipient.address.strip().lower()}"


def capture_mode() -> bool:
    """Demo mode, or no SMTP host: messages stay in the in-app outbox as "captured" instead of being sent."""
    config = settings()
    return config.app.demo or not config.mail.host.strip()


def language_for(locale: str | None) -> str:
    """The recipient's language when we have templates in it, else the application's default."""
    if locale in MAIL_LANGUAGES:
        return locale  # type: ignore[return-value]
    default = settings().app.default_locale
    return default if default in MAIL_LANGUAGES else "en"


def mail_date(value: str | date | None, language: str) -> str:
    """A date as people write it in ``language`` ("1 maart 2026", "1 mars 2026", "1 March 2026"); a moment
    (an ISO date-time with its offset) is first moved to the site's timezone."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    return format_day(value, "long", language)


def mail_moment(value: str | datetime | None, language: str) -> str:
    """A moment (an ISO date-time with its offset, as the context keeps it) in the site's timezone, written
    as people write it in ``language`` ("15 March 2026 at 00:30:00 CET")."""
    if not value:
        return ""
    return format_moment(datetime.fromisoformat(value) if isinstance(value, str) else value, "long", language)


def render(template: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of ``templates/mail/<template>.<language>.txt``; its first line is ``Subject: ...``."""

    def render_in(language: str) -> str:
        def in_language(value: str | date | None) -> str:
            return mail_date(value, language)

        def moment_in_language(value: str | datetime | None) -> str:
            return mail_moment(value, language)

        return render_template(
            f"mail/{template}.{language}.txt", **context, language=language, date=in_language, moment=moment_in_language
        )

    try:
        text = render_in(language)
    except TemplateNotFound:
        if language == "en":
            raise
        text = render_in("en")
    first, _newline, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"mail template {template}.{language} must start with a Subject: line")
    subject = " ".join(first[len("Subject:") :].split())  # one line: no header injection through a name
    return subject[:300], body.lstrip("\n").rstrip() + "\n"


def _insert_ignoring_duplicates() -> Any:
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])


def enqueue(mails: Iterable[Mail], now: datetime) -> int:
    """Write ``mails`` to the outbox in the current transaction; keys already there are skipped.

    One statement for the whole batch, whatever its size. Returns how many rows were new.
    """
    mails = _wanted(list(mails))
    state = "captured" if capture_mode() else "pending"
    rows: dict[str, dict[str, Any]] = {}
    rendered: dict[tuple[str, str, int], tuple[str, str]] = {}  # a digest to 50 officers is rendered per language
    for mail in mails:
        key = mail.idempotency_key
        if key in rows or not mail.recipient.address:
            continue
        once = (mail.template, mail.recipient.language, id(mail.context))
        if once not in rendered:
            rendered[once] = render(mail.template, mail.recipient.language, mail.context)
        subject, body = rendered[once]
        rows[key] = {
            "idempotency_key": key,
            "recipient": mail.recipient.address.strip(),
            "template": mail.template,
            "language": mail.recipient.language,
            "context": mail.context,
            "subject": subject,
            "body": body,
            "state": state,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
    if not rows:
        return 0
    result = db.session.execute(_insert_ignoring_duplicates().returning(OutboxMessage.id), list(rows.values()))
    return len(result.all())


def _wanted(mails: list[Mail]) -> list[Mail]:
    """Leave out mail of an optional kind to users who turned it off (one query for the batch); mail of a
    required kind, or to an address that is no user's, always goes."""

    def pair(mail: Mail) -> tuple[int, str] | None:
        kind = OPTIONAL_TEMPLATES.get(mail.template)
        return (mail.recipient.user_id, kind) if kind and mail.recipient.user_id is not None else None

    off = opted_out(p for p in map(pair, mails) if p is not None)
    return [mail for mail in mails if not off or pair(mail) not in off]


# -- links in mail -----------------------------------------------------------------------------------------
def app_link(endpoint: str, **values: Any) -> str:
    """An absolute link into the application from ``app.base_url``, built without a request (jobs)."""
    base = urlsplit(settings().app.base_url)
    adapter = current_app.url_map.bind(
        base.netloc or "localhost", script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


# -- who hears about what (bulk: a fixed number of queries whatever the number of files) -------------------
def officer_recipients() -> list[Recipient]:
    """Every active security officer with an address."""
    rows = db.session.execute(
        select(User.id, User.email, User.locale)
        .where(User.role == "officer", User.active.is_(True), User.email.is_not(None))
        .order_by(User.id)
    )  # fmt: skip
    return [Recipient(email, language_for(locale), user_id) for user_id, email, locale in rows if email]


def organisation_recipients(organisation_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Each organisation's contact address, or, without one, its active requesters and HR staff."""
    ids = sorted(set(organisation_ids))
    found: dict[int, list[Recipient]] = {org_id: [] for org_id in ids}
    if not ids:
        return found
    default = language_for(None)
    without_contact = []
    for org_id, contact in db.session.execute(
        select(Organisation.id, Organisation.contact_email).where(Organisation.id.in_(ids))
    ):
        if contact:
            found[org_id].append(Recipient(contact, default))
        else:
            without_contact.append(org_id)
    if without_contact:
        users = db.session.execute(
            select(User.organisation_id, User.email, User.locale, User.id)
            .where(
                User.organisation_id.in_(without_contact), User.role.in_(EMPLOYER_ROLES),
                User.active.is_(True), User.email.is_not(None),
            )
            .order_by(User.id)
        )  # fmt: skip
        for org_id, email, locale, user_id in users:
            if email:
                found[org_id].append(Recipient(email, language_for(locale), user_id))
    return found


def user_recipients(user_ids: Iterable[int | None]) -> dict[int, Recipient]:
    """Active users with an address, by id (e.g. the requester who created each file)."""
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.email, User.locale).where(User.id.in_(ids), User.active.is_(True), User.email.is_not(None))
    )
    return {user_id: Recipient(email, language_for(locale), user_id) for user_id, email, locale in rows if email}


def employer_recipients(
    files: Sequence[tuple[int | None, int]], *, also_organisation: bool = False
) -> list[list[Recipient]]:
    """For each (creator id, organisation id): the requester who created the file, or, when that account is
    gone or has no address, the organisation's addresses. ``also_organisation`` adds the organisation's
    contact address as well (decisions the employer must act on)."""
    creators = user_recipients(creator for creator, _org in files)
    organisations = organisation_recipients(org for _creator, org in files)
    result = []
    for creator, org in files:
        chosen = [creators[creator]] if creator in creators else []
        if not chosen or also_organisation:
            chosen += [r for r in organisations.get(org, []) if r.address.lower() not in _addresses(chosen)]
        result.append(chosen)
    return result


def _addresses(recipients: Iterable[Recipient]) -> set[str]:
    return {r.address.lower() for r in recipients}
