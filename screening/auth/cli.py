"""``screening ldap ...``: the operator's view of the directory, without signing anybody in.

Registered by :mod:`screening.cli`; built on :mod:`screening.cli_base` like every domain's commands.
"""

from __future__ import annotations

import click

from screening.cli_base import Context, fail


@click.group("ldap")
def ldap() -> None:
    """The employers' directory (LDAP / Active Directory)."""


@ldap.command("test")
@click.argument("username")
@click.pass_obj
def ldap_test(context: Context, username: str) -> None:
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
        fail(str(error), 2)
        return
    found = None
    try:
        with app.app_context():
            current = directory(app)
            if current is None:
                fail(f"no [ldap] table in {context.config.source}: sign-in is local only", 2)
                return
            try:
                found = lookup(current, username)
            except DirectoryError as error:
                fail(error.log_message)
                return
    finally:
        close_directory(app)
    if found.inspection.dn is None:
        fail(f"{username}: {found.problem} (searched {found.inspection.filter} on {found.inspection.server})")
        return
    width = max(len(label) for label, _ in found.rows())
    for label, value in found.rows():
        lines = value.split("\n")
        click.echo(f"{label:<{width}}  {lines[0]}")
        for line in lines[1:]:
            click.echo(f"{'':<{width}}  {line}")
    if found.problem:
        fail(f"{username}: sign-in would be refused: {found.problem}")
