"""Typed configuration: a TOML file parsed into frozen dataclasses.

Unknown keys and missing required keys fail at start with the key named; secrets may come from the
environment (each such key names its variable in ``config.example.toml``). Tests build configs with
:func:`make_config`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet

from screening.config.errors import ConfigError
from screening.config.ldap import LdapConfig
from screening.config.webhooks import WebhooksConfig
from workflows.roles import ACCOUNT_ROLES

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

#: Where ``screening demo`` keeps its generated configuration and SQLite database.
DEMO_DIR = Path("var")
DEMO_CONFIG = DEMO_DIR / "screening.toml"


def _env(name: str) -> dict[str, str]:
    return {"env": name}


@dataclass(frozen=True)
class AppConfig:
    secret_key: str = field(default="", metadata=_env("SCREENING_SECRET_KEY"))
    base_url: str = "http://127.0.0.1:5000"
    session_cookie_secure: bool = True
    session_lifetime_minutes: int = 480
    #: A session ends this long after its sign-in however active it is (the idle limit is the line above).
    session_absolute_minutes: int = 720
    default_locale: str = "en"
    languages: tuple[str, ...] = ("en", "nl", "fr")
    demo: bool = False
    page_size: int = 50
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host headers are trusted (0: none).
    trusted_proxies: int = 0


@dataclass(frozen=True)
class SiteConfig:
    #: Every time shown to a user (pages, mail, PDFs, CSV) is in this zone; the database keeps UTC.
    timezone: str = "Europe/Brussels"

    def __post_init__(self) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"site.timezone: unknown time zone {self.timezone!r}") from None


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = field(default="", metadata=_env("SCREENING_DATABASE_URL"))
    echo: bool = False
    pool_size: int = 10


@dataclass(frozen=True)
class SecurityConfig:
    #: Fernet keys; the first encrypts, all decrypt (rotation: put the new key first).
    identifier_keys: tuple[str, ...] = field(default=(), metadata=_env("SCREENING_IDENTIFIER_KEYS"))
    #: Key of the keyed hash used to find a person by national register number.
    lookup_key: str = field(default="", metadata=_env("SCREENING_LOOKUP_KEY"))
    login_attempts: int = 5
    login_window_minutes: int = 15
    #: Roles whose accounts need a second factor (TOTP or a security key) before any page but enrolment.
    second_factor_roles: tuple[str, ...] = ("officer", "admin", "auditor")
    #: The directory (AD, an IdP in front of it) enforces a second factor itself: its accounts enrol none here.
    directory_enforces_second_factor: bool = False
    #: The person's own file link (mailed to the address the person gave) stops working after this many days.
    person_link_days: int = 90
    #: The short code of the consent letter: failed codes per client address (an IPv6 /64) per window, then 429.
    consent_code_attempts: int = 10
    consent_code_window_minutes: int = 60
    #: Failed codes from all addresses together per window before the code page pauses (QR and link still work).
    consent_code_global_attempts: int = 1000


@dataclass(frozen=True)
class DeadlinesConfig:
    consent_reminder_days: int = 7
    consent_expiry_days: int = 30
    review_days: int = 30
    info_reminder_days: int = 7
    appeal_days: int = 8
    appeal_ruling_days: int = 30
    missed_term_appeal_days: int = 30
    revocation_appeal_days: int = 8
    clearance_validity_years: int = 5
    expiry_notice_days: tuple[int, ...] = (180, 90, 30)


@dataclass(frozen=True)
class MailConfig:
    #: SMTP server; empty keeps every message in the in-app outbox as "captured" (demo, development).
    host: str = ""
    port: int = 587
    starttls: bool = True
    username: str = ""
    password: str = field(default="", metadata=_env("SCREENING_MAIL_PASSWORD"))
    from_address: str = "screening@example.org"
    timeout_seconds: int = 30
    #: A message is retried (the wait doubling from the base up to the maximum) until it is this old, then
    #: marked failed: a duration, so a long SMTP outage does not fail every message after a few attempts.
    give_up_hours: int = 72
    retry_base_seconds: int = 60
    retry_max_seconds: int = 900
    #: Who hears (besides the banner on the admin pages) when mail has been failing for warn_after_minutes.
    operator_address: str = ""
    warn_after_minutes: int = 60
    #: Messages the delivery job claims at once; it goes on until nothing is due.
    batch_size: int = 200


#: The scheduled jobs and their default schedules: a crontab expression (minute hour day month day-of-week)
#: or an interval, ``every N seconds`` / ``every N minutes``.
JOB_SCHEDULES: dict[str, str] = {
    "deliver_mail": "* * * * *",
    "consent_reminders": "0 8 * * *",
    "consent_expiry": "10 0 * * *",
    "info_reminders": "0 8 * * *",
    "overdue_reviews": "0 7 * * mon-fri",
    "appeal_windows": "5 0 * * *",
    "appeal_ruling_reminders": "0 7 * * mon-fri",
    "clearance_expiry_notices": "0 6 * * *",
    "clearance_expiry": "1 0 * * *",
    "rescreening": "20 0 * * *",
    "retention_purge": "30 2 * * *",
    "weekly_report": "0 6 * * mon",
    "monthly_reports": "0 5 1 * *",
    "seal_audit_log": "every 5 seconds",
    "deliver_webhooks": "every 10 seconds",
    "register_imports": "every 2 seconds",
    "register_reminders": "30 6 * * *",
}


_INTERVAL = re.compile(r"every\s+([1-9]\d{0,5})\s+(second|minute)s?", re.IGNORECASE)


def schedule_trigger(expression: str, timezone: str) -> BaseTrigger:
    """The APScheduler trigger of a schedule: an ``IntervalTrigger`` for ``every N seconds`` (or minutes),
    else a ``CronTrigger``. ValueError names what is wrong with either."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if expression.lower().startswith("every"):
        match = _INTERVAL.fullmatch(expression)
        if match is None:
            raise ValueError(f"not an interval: {expression!r}; write e.g. 'every 5 seconds' or 'every 2 minutes'")
        unit = "seconds" if match[2].lower() == "second" else "minutes"
        return IntervalTrigger(timezone=timezone, **{unit: int(match[1])})
    return CronTrigger.from_crontab(expression, timezone=timezone)


@dataclass(frozen=True)
class SchedulerConfig:
    #: Time zone of the schedules below (deadlines count in Belgian calendar days whatever this says).
    timezone: str = "Europe/Brussels"
    #: The active scheduler renews its lease every third of this; a standby takes over when it lapses.
    lease_seconds: int = 60
    #: A job's own lease, renewed by the heartbeat while the job runs: no second process starts the same job
    #: meanwhile. After a crash a standby's takeover frees it; otherwise it lapses after this long.
    job_lease_seconds: int = 120
    #: Rows handled per transaction by a job: a crash loses at most one batch, which the next run redoes.
    batch_size: int = 500
    #: Readiness (/readyz, /healthz) also needs some scheduler to hold the scheduler lease (for a monitor).
    readiness_requires_scheduler: bool = False
    #: ``[scheduler.schedules]``: job name -> crontab expression or ``every N seconds``/``every N minutes``;
    #: jobs not named keep their default
    #: (:data:`JOB_SCHEDULES`), an empty expression switches a job off, an unknown name fails at start.
    schedules: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(dict(JOB_SCHEDULES)))

    def __post_init__(self) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"scheduler.timezone: unknown time zone {self.timezone!r}") from None
        for name in self.schedules:
            if name not in JOB_SCHEDULES:
                known = ", ".join(JOB_SCHEDULES)
                raise ConfigError(f"scheduler.schedules.{name}: unknown job; known jobs: {known}")
        merged = {name: str(self.schedules.get(name, default)).strip() for name, default in JOB_SCHEDULES.items()}
        object.__setattr__(self, "schedules", MappingProxyType(merged))
        for name, expression in merged.items():
            if not expression:
                continue  # an empty schedule switches the job off
            try:
                schedule_trigger(expression, self.timezone)
            except ValueError as error:
                kind = "an interval" if expression.lower().startswith("every") else "a crontab schedule"
                raise ConfigError(f"scheduler.schedules.{name}: not {kind} ({error})") from None

    def schedule(self, job: str) -> str:
        """The schedule of ``job`` (crontab or interval); empty when the job is switched off."""
        return self.schedules[job]


@dataclass(frozen=True)
class ReportsConfig:
    #: Who receives the weekly operations report; empty: every active officer with an address.
    operations_recipients: tuple[str, ...] = ()
    #: Mail each organisation that its monthly report is ready (contact address, else its requesters and HR).
    mail_organisations: bool = True
    #: In reports that leave the authority, counts below this are shown as "<N".
    mask_below: int = 5


@dataclass(frozen=True)
class RetentionConfig:
    #: Withdrawn, consent refused and consent expired files: personal data erased this many days after closing.
    closed_days: int = 365
    #: Final negative advice: erased this many days after it became final.
    final_negative_days: int = 1825
    #: Positive and covered files: erased this many days after their clearance ended (expired or revoked).
    positive_days: int = 365
    #: Sent, captured and failed mail is deleted from the outbox after this many days.
    outbox_days: int = 90
    #: Stored reports are deleted after this many days.
    report_days: int = 1095
    #: Job run history is deleted after this many days.
    job_run_days: int = 90
    #: The public verification page's check log (time, address, outcome) is deleted after this many days.
    check_log_days: int = 180
    #: Webhook events, with their deliveries and attempts, are deleted this many days after they were
    #: written, once none waits for delivery.
    webhook_days: int = 90


@dataclass(frozen=True)
class CertificatesConfig:
    #: Ed25519 private key (PEM, PKCS#8, unencrypted) that signs new certificates; empty: exports are off
    #: (in the demo a key is generated next to the configuration on first run).
    private_key_file: str = ""
    #: The private key's PEM text itself, e.g. from a secret store; wins over ``private_key_file``.
    private_key: str = field(default="", metadata=_env("SCREENING_CERTIFICATE_PRIVATE_KEY"))
    #: Public keys (PEM files) of retired signing keys whose certificates are still in circulation.
    public_key_files: tuple[str, ...] = ()
    #: Whether the export page offers English as a third language ticked by default.
    english: bool = False
    #: The public verification page answers this many checks per client address per window, then 429.
    verify_limit: int = 30
    verify_window_minutes: int = 10
    #: Validity periods published with the keys (``/.well-known/screening-keys.json``), as "KID=FROM/UNTIL"
    #: entries (days; either end may be empty): the first day a key signs, the last day its signatures count.
    key_validity: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditConfig:
    #: Ed25519 private key (PEM, PKCS#8, unencrypted) that signs the audit log's tree heads; not the
    #: certificate key. Empty: nothing is sealed (the demo generates one next to its configuration).
    signing_key_file: str = ""
    #: The key's PEM text itself, e.g. from a secret store; wins over ``signing_key_file``.
    signing_key: str = field(default="", metadata=_env("SCREENING_AUDIT_SIGNING_KEY"))
    #: Public keys (PEM files) of retired audit keys, so the heads they signed keep verifying.
    public_key_files: tuple[str, ...] = ()
    #: Directory where each day's last signed head is written (a place the database administrator cannot
    #: rewrite); empty: no file.
    export_directory: str = ""
    #: Address that receives each day's last signed head by mail; empty: no mail.
    auditors_address: str = ""
    #: Entries sealed per transaction (one signed head each).
    seal_batch_size: int = 10000


@dataclass(frozen=True)
class DocumentsConfig:
    #: Where DejaVuSans.ttf and DejaVuSans-Bold.ttf are (every PDF embeds them); checked at start.
    font_dir: str = field(default="/usr/share/fonts/truetype/dejavu", metadata=_env("SCREENING_FONT_DIR"))
    #: The largest document a requester may attach to an answer, and how many per answer.
    attachment_max_mb: int = 5
    attachments_per_answer: int = 4


#: The Belgian appeal body, as the demo's default (its secretariat at the Standing Committee I).
APPEAL_BODY_NAME = {
    "nl": "Beroepsorgaan inzake veiligheidsmachtigingen, -attesten en -adviezen",
    "fr": "Organe de recours en matière d'habilitations, d'attestations et d'avis de sécurité",
    "en": "Appeal body for security clearances, certificates and advice (Beroepsorgaan / Organe de recours)",
}
APPEAL_BODY_ADDRESS = {
    "nl": "Leuvenseweg 48 bus 5\n1000 Brussel",
    "fr": "Rue de Louvain 48 boîte 5\n1000 Bruxelles",
    "en": "Leuvenseweg 48 bus 5 / Rue de Louvain 48 boîte 5\n1000 Brussels, Belgium",
}


@dataclass(frozen=True)
class AppealConfig:
    """Where the person sends an appeal against a negative advice: printed on the notice (PDF and page)."""

    #: The body's name and postal address ("\n" between lines), by language (en, nl, fr).
    name: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(dict(APPEAL_BODY_NAME)))
    address: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(dict(APPEAL_BODY_ADDRESS)))
    email: str = "info@beroepsorgaan.be"
    website: str = "https://www.beroepsorgaan.be"

    def name_in(self, language: str) -> str:
        return _in_language(self.name, language)

    def address_lines(self, language: str) -> tuple[str, ...]:
        return tuple(line.strip() for line in _in_language(self.address, language).split("\n") if line.strip())


def _in_language(texts: Mapping[str, str], language: str) -> str:
    """The text in ``language``, else in English, else in any language given."""
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


@dataclass(frozen=True)
class RecognitionConfig:
    """The body that must act on a final negative advice or a revocation for a function marked
    ``notify_recognition`` in the catalogue (dockworkers: the recognition body). Set here, by the operator,
    not on an admin page: the notice carries the national register number in clear, and one administrator
    must not be able to redirect it."""

    #: Where the notice is mailed; empty: none is written.
    email: str = ""
    #: The language of the notice (en, nl, fr).
    language: str = "nl"


@dataclass(frozen=True)
class RescreeningConfig:
    #: Months between re-screenings of a valid clearance, by the category (1-4) of the function of the file whose
    #: advice granted or extended it; 0: never.
    months_by_category: tuple[int, ...] = (12, 0, 0, 0)


#: The advice types a fee can be set for (the three outcomes of an advice).
FEE_ADVICE_TYPES = ("positive", "positive_with_warning", "negative")


@dataclass(frozen=True)
class FeesConfig:
    """The authority's fee per advice, in integer euro cents, by the day each amount applies from. Set here by
    the operator (the tariff is fixed by regulation and changes rarely; a schedule in the deployed file is
    reviewed with it and out of one administrator's reach); statements are recomputed from it, so a change
    is appended with its valid-from day, never written over a past entry."""

    #: "FROM_DAY=CENTS" entries, in force from that day until the next entry.
    schedule: tuple[str, ...] = ("2025-01-01=5000",)
    #: "TYPE:FROM_DAY=CENTS" entries for an advice type whose fee differs; that type follows only these.
    by_advice_type: tuple[str, ...] = ()

    def periods_for(self, advice_type: str) -> tuple[tuple[date, int], ...]:
        """The (first day, cents) periods of ``advice_type``, in order; raises ConfigError naming a bad entry."""
        own = [entry for entry in self.by_advice_type if entry.split(":", 1)[0].strip() == advice_type]
        if own:
            return _fee_periods("fees.by_advice_type", [entry.split(":", 1)[1] for entry in own])
        return _fee_periods("fees.schedule", list(self.schedule))

    def check(self) -> None:
        for entry in self.by_advice_type:
            if ":" not in entry or entry.split(":", 1)[0].strip() not in FEE_ADVICE_TYPES:
                raise ConfigError(f"fees.by_advice_type: {entry!r} is not TYPE:FROM_DAY=CENTS with TYPE one of "
                                  + ", ".join(FEE_ADVICE_TYPES))  # fmt: skip
        for advice_type in FEE_ADVICE_TYPES:
            self.periods_for(advice_type)


def _fee_periods(key: str, entries: list[str]) -> tuple[tuple[date, int], ...]:
    periods: dict[date, int] = {}
    for entry in entries:
        day, _, cents = entry.partition("=")
        try:
            starts = date.fromisoformat(day.strip())
        except ValueError:
            raise ConfigError(f"{key}: {entry!r} is not FROM_DAY=CENTS (a day as 2025-01-01)") from None
        cents = cents.strip()
        if not cents.isdigit() or int(cents) > 100_000_000:
            raise ConfigError(f"{key}: {entry!r}: the fee is a whole number of cents (5000 for 50 euro)")
        if starts in periods:
            raise ConfigError(f"{key}: two fees from {starts.isoformat()}")
        periods[starts] = int(cents)
    return tuple(sorted(periods.items()))


@dataclass(frozen=True)
class ApiConfig:
    #: Calls per token per window, across the cluster (docs/api.md, "Rate limit").
    rate_limit: int = 600
    rate_window_seconds: int = 60
    #: Each worker process adds its calls of a token to the shared count at least this often.
    rate_sync_seconds: int = 1
    #: How long the first answer to a POST with an Idempotency-Key is kept for its retries.
    idempotency_hours: int = 24

    @property
    def idempotency_keep(self) -> timedelta:
        return timedelta(hours=self.idempotency_hours)


@dataclass(frozen=True)
class ImportsConfig:
    """``[imports]``: register files (CSV or XLSX) uploaded by the screening manager."""

    #: The largest file accepted (a 10,000-row CSV is about 1 MB, the same rows as XLSX about 0.5 MB).
    max_mb: int = 5
    #: The most rows one file may hold; a longer register is imported in several files.
    max_rows: int = 20000
    #: A preview nobody confirmed is discarded after this many days (the file and its rows' values erased).
    keep_days: int = 7


@dataclass(frozen=True)
class Config:
    app: AppConfig = field(default_factory=AppConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    deadlines: DeadlinesConfig = field(default_factory=DeadlinesConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    certificates: CertificatesConfig = field(default_factory=CertificatesConfig)
    documents: DocumentsConfig = field(default_factory=DocumentsConfig)
    #: ``[ldap]``: sign-in through a directory; None (no table) keeps every account local.
    ldap: LdapConfig | None = None
    audit: AuditConfig = field(default_factory=AuditConfig)
    appeal: AppealConfig = field(default_factory=AppealConfig)
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    recognition: RecognitionConfig = field(default_factory=RecognitionConfig)
    rescreening: RescreeningConfig = field(default_factory=RescreeningConfig)
    fees: FeesConfig = field(default_factory=FeesConfig)
    imports: ImportsConfig = field(default_factory=ImportsConfig)
    source: str = "<defaults>"

    def check(self) -> Config:
        """Refuse to start without the secrets the application cannot run without."""
        required = {
            "app.secret_key": self.app.secret_key,
            "database.url": self.database.url,
            "security.identifier_keys": self.security.identifier_keys,
            "security.lookup_key": self.security.lookup_key,
        }
        for key, value in required.items():
            if not value:
                raise ConfigError(f"{key}: required setting is missing")
        for index, key in enumerate(self.security.identifier_keys):
            try:
                Fernet(key.encode())
            except ValueError:
                raise ConfigError(f"security.identifier_keys[{index}]: not a Fernet key") from None
        for key in ("rate_limit", "rate_window_seconds", "rate_sync_seconds", "idempotency_hours"):
            if getattr(self.api, key) < 1:
                raise ConfigError(f"api.{key}: must be at least 1")
        if self.recognition.language not in ("en", "nl", "fr"):
            raise ConfigError("recognition.language: en, nl or fr")
        if len(self.rescreening.months_by_category) != 4 or min(self.rescreening.months_by_category) < 0:
            raise ConfigError("rescreening.months_by_category: four numbers of months (0: never), one per category")
        self.fees.check()
        for key in ("max_mb", "max_rows", "keep_days"):
            if getattr(self.imports, key) < 1:
                raise ConfigError(f"imports.{key}: must be at least 1")
        for role in self.security.second_factor_roles:
            if role not in ACCOUNT_ROLES:
                raise ConfigError(f"security.second_factor_roles: unknown role {role!r}")
        return self


_SECTIONS: dict[str, type] = {
    "app": AppConfig,
    "site": SiteConfig,
    "database": DatabaseConfig,
    "security": SecurityConfig,
    "deadlines": DeadlinesConfig,
    "mail": MailConfig,
    "scheduler": SchedulerConfig,
    "reports": ReportsConfig,
    "retention": RetentionConfig,
    "certificates": CertificatesConfig,
    "audit": AuditConfig,
    "documents": DocumentsConfig,
    "appeal": AppealConfig,
    "webhooks": WebhooksConfig,
    "api": ApiConfig,
    "recognition": RecognitionConfig,
    "rescreening": RescreeningConfig,
    "fees": FeesConfig,
    "imports": ImportsConfig,
}
#: The job schedules used to be keys of ``[scheduler]`` itself: name the new place when an old file has them.
_MOVED = {f"scheduler.{name}": "[scheduler.schedules]" for name in JOB_SCHEDULES}


def _coerce(key: str, kind: Any, value: Any) -> Any:
    origin = typing.get_origin(kind)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "0", "false", "no"}:
            return value.lower() in {"1", "true", "yes"}
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    elif kind is str:
        if isinstance(value, str):
            return value
    elif origin is tuple:
        (item_kind, _ellipsis) = typing.get_args(kind)
        if isinstance(value, str):  # from the environment: comma-separated
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return tuple(_coerce(key, item_kind, item) for item in value)
    elif origin is Mapping:
        (key_kind, item_kind) = typing.get_args(kind)
        if isinstance(value, Mapping):
            return {
                _coerce(f"{key}.{name}", key_kind, name): _coerce(f"{key}.{name}", item_kind, item)
                for name, item in value.items()
            }
    elif origin in (types.UnionType, typing.Union):
        return _coerce(key, next(a for a in typing.get_args(kind) if a is not type(None)), value)
    raise ConfigError(f"{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")


def _section(name: str, cls: type, data: Mapping[str, Any], env: Mapping[str, str]) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{name}: expected a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            moved = _MOVED.get(f"{name}.{key}")
            raise ConfigError(f"{name}.{key}: unknown setting" + (f" (now in {moved})" if moved else ""))
    values: dict[str, Any] = {}
    for key, f in fields.items():
        env_name = f.metadata.get("env")
        if env_name and env.get(env_name):
            values[key] = _coerce(f"{name}.{key} (${env_name})", hints[key], env[env_name])
        elif key in data:
            values[key] = _coerce(f"{name}.{key}", hints[key], data[key])
    return cls(**values)


def parse_config(data: Mapping[str, Any], env: Mapping[str, str] | None = None, source: str = "") -> Config:
    """Build a :class:`Config` from a parsed TOML mapping and environment overrides."""
    env = os.environ if env is None else env
    for key in data:
        if key not in _SECTIONS and key != "ldap":
            raise ConfigError(f"{key}: unknown section")
    sections = {name: _section(name, cls, data.get(name, {}), env) for name, cls in _SECTIONS.items()}
    ldap = LdapConfig.from_mapping(data["ldap"], env) if "ldap" in data else None
    return Config(**sections, ldap=ldap, source=source or "<mapping>")


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    """Read and check a TOML configuration file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    return parse_config(data, env, source=str(path)).check()


def make_config(**sections: Mapping[str, Any]) -> Config:
    """A checked configuration for tests and tools: generated secrets, overrides per section."""
    data: dict[str, dict[str, Any]] = {
        "app": {"secret_key": secrets.token_urlsafe(32), "session_cookie_secure": False},
        "database": {"url": "sqlite://"},
        "security": {
            "identifier_keys": [Fernet.generate_key().decode()],
            "lookup_key": secrets.token_urlsafe(32),
        },
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return parse_config(data, env={}, source="<test>").check()


def write_demo_config(path: Path = DEMO_CONFIG) -> Path:
    """Write the embedded default's configuration once, with freshly generated secrets."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    database = (path.parent / "screening.db").resolve()
    path.write_text(
        "# Generated by `screening demo`: the embedded default (SQLite, local accounts, demo data).\n"
        "[app]\n"
        f'secret_key = "{secrets.token_urlsafe(32)}"\n'
        "session_cookie_secure = false\n"
        "demo = true\n\n"
        "[database]\n"
        f'url = "sqlite:///{database}"\n\n'
        "[security]\n"
        f'identifier_keys = ["{Fernet.generate_key().decode()}"]\n'
        f'lookup_key = "{secrets.token_urlsafe(32)}"\n\n'
        "[webhooks]\n"
        "# The demo's endpoints may be a receiver on this machine (plain http, loopback).\n"
        "allow_private_addresses = true\n"
        "allow_http = true\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def default_config_path() -> Path | None:
    """``$SCREENING_CONFIG``, else the demo configuration if ``screening demo`` has written one."""
    if os.environ.get("SCREENING_CONFIG"):
        return Path(os.environ["SCREENING_CONFIG"])
    return DEMO_CONFIG if DEMO_CONFIG.exists() else None
