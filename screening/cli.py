"""The ``screening`` command: the operator's and developer's face of the application.

The root group and the commands that concern the whole application live here; domain packages keep their
own groups (``<domain>/cli.py``, built on :mod:`screening.cli_base`), which this module registers.

Errors print one line and exit non-zero; nothing is half-written (each command is one transaction).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask

from screening.audit.cli import audit
from screening.auth.cli import ldap
from screening.certificates.cli import certificate
from screening.cli_base import Context, Group, fail, pass_context
from screening.config import Config, write_demo_config
from screening.notifications.cli import mail
from screening.people.cli import identifiers
from workflows.roles import ACCOUNT_ROLES


def _create_app(config: Config) -> Flask:
    """The application factory, imported when a command first needs the app (``--help`` needs none)."""
    from screening.app import create_app

    return create_app(config)


@click.group(cls=Group)
@click.option("--config", "config_path", envvar="SCREENING_CONFIG", type=click.Path(dir_okay=False), help="TOML file")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Security screening of people in critical port jobs."""
    ctx.obj = Context(config_path, _create_app)
    ctx.call_on_close(ctx.obj.close)


# -- database --------------------------------------------------------------------------------
@main.group(cls=Group)
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_context
def db_upgrade(context: Context, revision: str) -> None:
    """Bring the schema to REVISION (default: the newest)."""
    from screening import migrate

    with context.app.app_context():
        from screening.db import db as database

        migrate.upgrade(database.engine, revision)
        click.echo(f"database at {migrate.current(database.engine)}")


@db.command("downgrade")
@click.argument("revision")
@pass_context
def db_downgrade(context: Context, revision: str) -> None:
    """Take the schema back to REVISION."""
    from screening import migrate

    with context.app.app_context():
        from screening.db import db as database

        migrate.downgrade(database.engine, revision)
        click.echo(f"database at {migrate.current(database.engine)}")


# -- accounts --------------------------------------------------------------------------------
@main.group(cls=Group)
def user() -> None:
    """Local accounts."""


@user.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in ACCOUNT_ROLES]))
@click.option("--name", "display_name", default="", help="Full name")
@click.option("--organisation", "organisation_code", default=None, help="Organisation code (employer roles)")
@click.option("--email", default=None)
@click.password_option(envvar="SCREENING_NEW_PASSWORD")
@pass_context
def user_create(
    context: Context, username: str, role: str, display_name: str, organisation_code: str | None,
    email: str | None, password: str,
) -> None:  # fmt: skip
    """Create a local account (the password is asked, or read from $SCREENING_NEW_PASSWORD)."""
    from screening.actors import Actor
    from screening.auth.operations import create_user

    with context.transaction():
        created = create_user(
            Actor(label="cli", role="admin"), username=username, display_name=display_name or username,
            role=role, password=password, organisation_code=organisation_code, email=email,
        )  # fmt: skip
        click.echo(f"created {created.username} ({created.role})")


# -- workflows -------------------------------------------------------------------------------
@main.group(cls=Group)
def workflow() -> None:
    """The declared state machines."""


@workflow.command("show")
@click.option("--format", "style", type=click.Choice(["table", "mermaid"]), default="table")
def workflow_show(style: str) -> None:
    """Print the application and clearance machines from their declarations (deadlines with the defaults of
    ``[deadlines]``: the text of docs/workflows.md)."""
    from screening.config import DeadlinesConfig
    from workflows.application import APPLICATION
    from workflows.clearance import CLEARANCE

    for machine in (APPLICATION, CLEARANCE):
        click.echo(machine.table(DeadlinesConfig()) if style == "table" else machine.mermaid())
        click.echo()


# -- serving ---------------------------------------------------------------------------------
@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@pass_context
def serve(context: Context, host: str, port: int) -> None:
    """Development server. In production run gunicorn on ``screening.wsgi:app``."""
    context.app.run(host=host, port=port, debug=False, use_reloader=False)


@main.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--serve/--no-serve", default=True, help="Start the web server after loading the data")
@click.option(
    "--scheduler/--no-scheduler", "with_scheduler", default=True,
    help="Run the scheduled jobs inside the demo server (production runs `screening scheduler` on its own).",
)  # fmt: skip
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, serve: bool, with_scheduler: bool) -> None:
    """Create the embedded default (SQLite, demo organisations, one account per role) and serve it."""
    from sqlalchemy.exc import OperationalError

    from screening import migrate
    from screening.demo import DEMO_PASSWORD, demo_not_writable, load_demo

    context: Context = ctx.obj
    try:
        if context.config_path is None:
            context.config_path = str(write_demo_config())
        context.serve_at(host, port)
        with context.app.app_context():
            from screening.db import db as database

            migrate.upgrade(database.engine)
    except (OSError, OperationalError) as error:
        fail(demo_not_writable(error))
    with context.transaction():
        accounts = load_demo()
    from screening.auth.factors.totp import current_code
    from screening.clock import utcnow

    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}; put each TOTP secret in an authenticator app):")
    for username, role, organisation, secret in accounts:
        factor = f"TOTP secret {secret} (code now: {current_code(secret, utcnow())})" if secret else ""
        click.echo(f"  {username:<22} {role:<10} {organisation or '':<10} {factor}".rstrip())
    if serve:
        if with_scheduler:
            _start_demo_scheduler(context.app)
        click.echo(f"Serving on http://{host}:{port}  (configuration: {Path(context.config_path).resolve()})")
        context.app.run(host=host, port=port, debug=False, use_reloader=False)


def _start_demo_scheduler(app: Any) -> None:
    """The demo has one process: the scheduler runs in a background thread of the dev server, with the same
    leases as in production (mail lands in the in-app outbox: the demo has no SMTP host)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler.runner import SchedulerProcess

    process = SchedulerProcess(app, holder=None)
    process.build(BackgroundScheduler).start()
    click.echo(f"Scheduler running in the background as {process.holder} (the jobs page lists the next runs)")


# -- scheduler, jobs and reports ---------------------------------------------------------------
def _moment(text: str | None) -> Any:
    """``--now``: an ISO date (midday in Brussels) or date-time (Brussels time unless it has an offset)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO date or date-time", param_hint="--now") from None
    if len(text.strip()) == 10:
        value = value.replace(hour=12)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("Europe/Brussels"))
    return value.astimezone(UTC)


@main.command("scheduler")
@click.option("--holder", default=None, help="This process's name in the lease (default: host:pid:random).")
@pass_context
def scheduler_process(context: Context, holder: str | None) -> None:
    """Run the scheduler: every job on its schedule. Start one per node; one is active, the others stand by."""
    import logging

    from scheduler.runner import SchedulerProcess

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own lines say what ran and what it did
    process = SchedulerProcess(context.app, holder=holder)
    click.echo(f"scheduler {process.holder} starting (Ctrl-C or SIGTERM stops it)")
    process.run()


@main.group(cls=Group)
def jobs() -> None:
    """The scheduled jobs, listed or run by hand."""


@jobs.command("list")
@pass_context
def jobs_list(context: Context) -> None:
    """Every job with its schedule and next run."""
    from zoneinfo import ZoneInfo

    from screening.clock import utcnow
    from screening.jobs.catalogue import job_table

    settings = context.config.scheduler
    zone = ZoneInfo(settings.timezone)
    for job in job_table(settings, utcnow()):
        next_run = job.next_run.astimezone(zone).strftime("%Y-%m-%d %H:%M") if job.next_run else "off"
        click.echo(f"{job.name:<26} {job.schedule or '-':<18} next {next_run:<17} {job.description}")


@jobs.command("run")
@click.argument("name")
@click.option("--now", "moment", default=None, help="Run as of this moment, e.g. 2026-05-01 or 2026-05-01T08:00.")
@pass_context
def jobs_run(context: Context, name: str, moment: str | None) -> None:
    """Run job NAME once (``all``: every job, mail delivery last). Safe to repeat: nothing is sent twice."""
    from scheduler.jobs import JOBS
    from scheduler.runner import UnknownJob, run_job
    from screening.jobs.leases import new_holder

    now = _moment(moment)
    names = [n for n in JOBS if n != "deliver_mail"] + ["deliver_mail"] if name == "all" else [name]
    holder = new_holder("cli")
    failed = False
    for job in names:
        try:
            result = run_job(context.app, job, holder=holder, now=now, trigger="manual")
        except UnknownJob as error:
            fail(str(error.args[0]))
            return
        detail = f"{result.items} items" if result.status == "done" else result.error
        click.echo(f"{job}: {result.status} ({detail})")
        failed = failed or result.status != "done"
    if failed:
        sys.exit(1)


@main.group(cls=Group)
def reports() -> None:
    """The weekly operations and monthly organisation reports."""


@reports.command("list")
@click.option("--kind", type=click.Choice(["operations", "organisation"]), default=None)
@click.option("--limit", default=20, type=int)
@pass_context
def reports_list(context: Context, kind: str | None, limit: int) -> None:
    """The newest stored reports."""
    from sqlalchemy import select

    from screening.db import db as database
    from screening.reports.models import Report

    with context.app.app_context():
        statement = select(Report.id, Report.key, Report.created_at).order_by(Report.id.desc()).limit(limit)
        if kind:
            statement = statement.where(Report.kind == kind)
        for report_id, key, created_at in database.session.execute(statement):
            click.echo(f"{report_id:>6}  {key:<40} built {created_at:%Y-%m-%d %H:%M} UTC")


@reports.command("build")
@click.argument("kind", type=click.Choice(["weekly", "monthly"]))
@click.option("--now", "moment", default=None, help="Build as of this moment (the previous week or month).")
@click.pass_context
def reports_build(ctx: click.Context, kind: str, moment: str | None) -> None:
    """Build (and announce) the weekly operations report or the monthly organisation reports now."""
    ctx.invoke(jobs_run, name="weekly_report" if kind == "weekly" else "monthly_reports", moment=moment)


# -- the domains' own command groups -----------------------------------------------------------------------
for group in (audit, identifiers, mail, ldap, certificate):  # audit, identifier keys, mail, directory, certificates
    main.add_command(group)
