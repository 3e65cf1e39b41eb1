"""The ``screening`` command: the operator's and developer's face of the application.

Errors print one line and exit non-zero; nothing is half-written (each command is one transaction).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import click
from flask import Flask

from screening.config import Config, ConfigError, default_config_path, load_config, write_demo_config


class Context:
    """Loads the configuration and the app lazily, so ``screening --help`` needs neither."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path

    @cached_property
    def config(self) -> Config:
        path = self.config_path or default_config_path()
        if path is None:
            raise ConfigError("no configuration: pass --config FILE, set SCREENING_CONFIG, or run `screening demo`")
        return load_config(path)

    @cached_property
    def app(self) -> Flask:
        from screening.app import create_app

        return create_app(self.config)

    def close(self) -> None:
        """Close the database connections the command opened."""
        if "app" in self.__dict__:
            self.app.extensions["screening.engine"].dispose()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction for one command: committed at the end, rolled back on any error."""
        from screening.db import db

        with self.app.app_context():
            try:
                yield
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise


pass_context = click.make_pass_decorator(Context)


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class Group(click.Group):
    """Turns known errors into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from screening.errors import DomainError

        try:
            return super().invoke(ctx)
        except ConfigError as error:
            fail(str(error), 2)
        except DomainError as error:
            fail(error.message, 1)


@click.group(cls=Group)
@click.option("--config", "config_path", envvar="SCREENING_CONFIG", type=click.Path(dir_okay=False), help="TOML file")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Security screening of people in critical port jobs."""
    ctx.obj = Context(config_path)
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
@click.option("--role", required=True, type=click.Choice(["requester", "hr", "officer", "admin", "auditor"]))
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
    """Print the application and clearance machines from their declarations."""
    from workflows.application import APPLICATION
    from workflows.clearance import CLEARANCE

    for machine in (APPLICATION, CLEARANCE):
        click.echo(machine.table() if style == "table" else machine.mermaid())
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
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, serve: bool) -> None:
    """Create the embedded default (SQLite, demo organisations, one account per role) and serve it."""
    from screening import migrate
    from screening.demo import DEMO_PASSWORD, load_demo

    context: Context = ctx.obj
    if context.config_path is None:
        context.config_path = str(write_demo_config())
    with context.app.app_context():
        from screening.db import db as database

        migrate.upgrade(database.engine)
    with context.transaction():
        accounts = load_demo()
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for username, role, organisation in accounts:
        click.echo(f"  {username:<22} {role:<10} {organisation or ''}")
    if serve:
        click.echo(f"Serving on http://{host}:{port}  (configuration: {Path(context.config_path).resolve()})")
        context.app.run(host=host, port=port, debug=False, use_reloader=False)


def register(command: click.Command | Callable[..., Any]) -> None:
    """Domain packages add their own command groups here (certificates, directory, scheduler)."""
    main.add_command(command)  # type: ignore[arg-type]
