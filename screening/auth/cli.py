"""``screening ldap ...``: the operator's view of the directory, without signing anybody in.

Registered in :mod:`screening.cli`; this module imports nothing from it (``ctx.obj`` is its Context),
so either may be imported first.
"""

from __future__ import annotations

import sys
from typing import Any

import click


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group("ldap")
def ldap() -> None:
    """The employers' directory (LDAP / Active Directory)."""


@ldap.command("test")
@click.argument("username")
@click.pass_obj
def ldap_test(context: Any, username: str) -> None:
    """Show what a sign-in of USERNAME would find: server, DN, groups, role and organisation.

    Reads with the service account; no password is asked and nobody is signed in. Exits 1 with one
    line when the sign-in would be refused or the directory cannot be reached.
    """
    from screening.auth.directory import DirectoryError
    from screening.auth.ldap import close_directory, directory
    from screening.auth.queries import lookup
    from screening.config import ConfigError

    try:
        app = context.app
    except ConfigError as error:
        _fail(str(error), 2)
        return
    found = None
    try:
        with app.app_context():
            current = directory(app)
            if current is None:
                _fail(f"no [ldap] table in {context.config.source}: sign-in is local only", 2)
                return
            try:
                found = lookup(current, username)
            except DirectoryError as error:
                _fail(error.log_message)
                return
    finally:
        close_directory(app)
    if found.inspection.dn is None:
        _fail(f"{username}: {found.problem} (searched {found.inspection.filter} on {found.inspection.server})")
        return
    width = max(len(label) for label, _ in found.rows())
    for label, value in found.rows():
        lines = value.split("\n")
        click.echo(f"{label:<{width}}  {lines[0]}")
        for line in lines[1:]:
            click.echo(f"{'':<{width}}  {line}")
    if found.problem:
        _fail(f"{username}: sign-in would be refused: {found.problem}")
