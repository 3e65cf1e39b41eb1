"""The demo data set: organisations, the critical-function catalogue, one account per role, and
applications in every state, built through the real operations so the audit trail is genuine."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from screening.actors import Actor
from screening.applications import operations
from screening.applications.models import Application
from screening.audit.operations import record
from screening.auth.factors.totp import new_secret
from screening.auth.models import User
from screening.auth.operations import create_user
from screening.catalogue.operations import save_function
from screening.clock import utcnow
from screening.config import DEMO_DIR
from screening.db import db
from screening.extensions import settings, vault
from screening.organisations.models import Organisation
from screening.organisations.operations import save_organisation
from screening.people.identifiers import make_enterprise_number, make_national_number
from screening.people.models import Person
from screening.people.operations import PersonDetails

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed for the demo, never used in production

ORGANISATIONS = [
    ("Antwerp Terminal Services NV", "ats", 4031701),
    ("Scheldt Stevedoring BV", "scheldt", 4172200),
    ("Noordzee Logistics NV", "noordzee", 4563012),
]

FUNCTIONS = [
    ("DOCK", "Dockworker", "Havenarbeider", "Travailleur portuaire", 1),
    ("SEC", "Security guard", "Bewakingsagent", "Agent de gardiennage", 1),
    ("CARGO", "Logistics staff with cargo access", "Logistiek personeel met toegang tot lading",
     "Personnel logistique avec accès aux marchandises", 2),
    ("ICT", "ICT staff with cargo-data access", "ICT-personeel met toegang tot ladinggegevens",
     "Personnel TIC avec accès aux données de fret", 2),
    ("AGENT", "Ship agent", "Scheepsagent", "Agent maritime", 3),
    ("CRANE", "Crane operator", "Kraanbestuurder", "Grutier", 3),
    ("PLAN", "Terminal planner", "Terminalplanner", "Planificateur de terminal", 4),
]  # fmt: skip

#: Demo transition deadlines, days from the day the demo is built (the other functions are required at once).
TRANSITION_DAYS = {"DOCK": 120, "CARGO": 45}

ACCOUNTS = [
    ("requester", "requester", "Rita Janssens", "ats"),
    ("requester2", "requester", "Pieter De Smet", "scheldt"),
    ("hr", "hr", "Hanne Peeters", "ats"),
    ("officer", "officer", "Olivier Dubois", None),
    ("officer2", "officer", "Sofie Maes", None),
    ("admin", "admin", "Adriaan Wouters", None),
    ("auditor", "auditor", "Amélie Lambert", None),
]

PEOPLE = [
    ("Jan", "Peeters"), ("Fatima", "El Amrani"), ("Mehmet", "Çelik"), ("Anna", "Nowak-Wiśniewska"),
    ("Rustam", "Ахмедов"), ("Sophie", "Claes"), ("Luc", "Willems"), ("Marie", "Dupont"),
    ("Kevin", "Jacobs"), ("Elif", "Yılmaz"), ("Tom", "Mertens"), ("Nadia", "Benali"),
    ("Bram", "Goossens"), ("Lotte", "Wouters"), ("Youssef", "Haddad"), ("Ine", "Vermeulen"),
]  # fmt: skip

# The events that take a new application to each demo state.
PATHS: list[tuple[str, list[str]]] = [
    ("draft", []),
    ("awaiting_consent", ["submit"]),
    ("submitted", ["submit", "consent"]),
    ("in_review", ["submit", "consent", "start_review"]),
    ("info_requested", ["submit", "consent", "start_review", "request_info"]),
    ("positive", ["submit", "consent", "start_review", "advise_positive"]),
    ("positive", ["submit", "consent", "start_review", "advise_positive_with_warning"]),
    ("negative", ["submit", "consent", "start_review", "advise_negative"]),
    ("appealed", ["submit", "consent", "start_review", "advise_negative", "lodge_appeal"]),
    ("final_negative", ["submit", "consent", "start_review", "advise_negative", "lodge_appeal", "appeal_rejected"]),
    ("positive", ["submit", "consent", "start_review", "advise_negative", "lodge_appeal", "appeal_upheld"]),
    ("consent_refused", ["submit", "refuse"]),
    ("withdrawn", ["submit", "withdraw"]),
    ("consent_expired", ["submit", "expire_consent"]),
]

TEXTS = {
    "request_info": "Please send a copy of the employment contract and the previous employers since 2020.",
    "advise_positive_with_warning": "Minor facts of 2019; no link with organised crime. Follow-up in 2 years.",
    "advise_negative": "Recent contacts with a criminal organisation active in cocaine import (police report).",
    "appeal_rejected": "The appeal body confirmed the negative advice.",
    "appeal_upheld": "The appeal body found the facts insufficiently established.",
    "withdraw": "The candidate accepted another job.",
}


def demo_not_writable(error: BaseException) -> str:
    """The one line ``screening demo`` prints when it cannot write its files (a read-only directory)."""
    reason = getattr(error, "strerror", None) or str(getattr(error, "orig", error)).strip() or error.__class__.__name__
    return (
        f"cannot write the demo's files in {DEMO_DIR.resolve()} ({reason}): run `screening demo` in a directory "
        "you can write to, or pass --config with a configuration of your own"
    )


def _demo_accounts() -> list[tuple[str, str, str | None, str | None]]:
    """Each demo sign-in and, for the authority's accounts, the TOTP secret enrolled for it (enrolled
    here if missing), so a newcomer signs in at once: the secret goes into an authenticator app."""
    from screening.auth.factors.operations import required_for

    users = {user.username: user for user in db.session.scalars(select(User).where(User.username.in_(
        [username for username, *_ in ACCOUNTS])))}  # fmt: skip
    secrets = {}
    for username, user in users.items():
        if user.totp_secret is None and required_for(user, settings().security):
            user.totp_secret = vault().encrypt(new_secret())
            record(Actor(label="demo", role="admin"), "enrol_totp", "user", user.id)
        secrets[username] = vault().decrypt(user.totp_secret) if user.totp_secret else None
    return [(name, role, organisation, secrets.get(name)) for name, role, _, organisation in ACCOUNTS]


def load_demo(now: datetime | None = None) -> list[tuple[str, str, str | None, str | None]]:
    """Load the demo data once; a second run changes nothing (but enrols a second factor if one is due)."""
    if db.session.scalar(select(User.id).where(User.username == "admin")) is not None:
        return _demo_accounts()
    now = now or utcnow()
    cli = Actor(label="demo", role="admin")
    organisations = {}
    for name, code, seed in ORGANISATIONS:
        organisations[code] = save_organisation(
            cli, name=name, code=code, enterprise_number=make_enterprise_number(seed),
            contact_email=f"security@{code}.example",
        )  # fmt: skip
    functions = [
        save_function(
            cli, code=code, name_en=en, name_nl=nl, name_fr=fr, category=category, notify_recognition=code == "DOCK",
            required_from=now.date() + timedelta(days=TRANSITION_DAYS[code]) if code in TRANSITION_DAYS else None,
        )
        for code, en, nl, fr, category in FUNCTIONS
    ]  # fmt: skip
    users: dict[str, User] = {}
    for username, role, name, organisation in ACCOUNTS:
        users[username] = create_user(
            cli, username=username, display_name=name, role=role, password=DEMO_PASSWORD,
            organisation_code=organisation, email=f"{username}@demo.example", check_strength=False,
        )  # fmt: skip
    _applications(now, organisations, functions, users)
    return _demo_accounts()


def _applications(
    now: datetime, organisations: dict[str, Organisation], functions: list, users: dict[str, User]
) -> None:
    deadlines = settings().deadlines
    officer = Actor.of(users["officer"])
    system = Actor.system("demo")
    paths = PATHS + PATHS[:4]  # a few more open files for the queue
    covered_source: Application | None = None
    for index, (target, events) in enumerate(paths):
        given, family = PEOPLE[index % len(PEOPLE)]
        owner = "requester" if index % 3 else "requester2"
        requester = Actor.of(users[owner])
        born = date(1970 + index * 2 % 35, 1 + index % 12, 1 + index * 3 % 28)
        # Files start in the past so deadlines, overdue flags and the timeline look lived-in.
        started = now - timedelta(days=100 - index * 4)
        details = PersonDetails(
            given_names=given, family_name=family if index < len(PEOPLE) else f"{family}-{index}",
            date_of_birth=born, nationality="BE", national_number=make_national_number(born, 100 + index),
            email=f"{given.lower()}.{index}@mail.example",
        )  # fmt: skip
        application = operations.create_application(
            requester, vault(), organisation_id=users[owner].organisation_id or 0,
            function_id=functions[index % len(functions)].id, person=details, now=started,
        )  # fmt: skip
        moment = started
        for step, event in enumerate(events, start=1):
            moment = started + timedelta(days=step * 2)
            actor = {"expire_consent": system, "consent": Actor.person(application.person_id)}.get(
                event, officer if event not in ("submit", "refuse", "withdraw", "provide_info") else requester
            )
            if event == "expire_consent":
                moment = application.state_changed_at + timedelta(days=deadlines.consent_expiry_days + 1)
            operations.fire(application, event, actor, deadlines, reason=TEXTS.get(event), now=min(moment, now))
        assert application.state == target, (target, application.state)
        if target == "positive" and covered_source is None:
            covered_source = application
    if covered_source is not None:
        # "Screened once": another employer asks for a person who is already cleared.
        other = "requester2" if covered_source.organisation_id == users["requester"].organisation_id else "requester"
        holder = db.session.get(Person, covered_source.person_id)
        assert holder is not None
        details = PersonDetails(
            given_names=holder.given_names, family_name=holder.family_name, date_of_birth=holder.date_of_birth,
            nationality=holder.nationality, national_number=vault().decrypt(holder.national_number_encrypted or ""),
        )  # fmt: skip
        covered = operations.create_application(
            Actor.of(users[other]), vault(), organisation_id=users[other].organisation_id or 0,
            function_id=functions[0].id, person=details, now=now - timedelta(days=1),
        )  # fmt: skip
        operations.fire(covered, "submit", Actor.of(users[other]), deadlines, now=now - timedelta(days=1))
        # the employer learns that the person is covered only once the person consents
        operations.fire(covered, "consent", Actor.person(covered.person_id), deadlines, now=now - timedelta(hours=20))
        assert covered.state == "covered"
