"""``screening audit verify``: recompute the audit trail's hash chain and name the first broken entry."""

from __future__ import annotations

import click

from screening.cli import Context, Group, fail, pass_context


@click.group(cls=Group)
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@pass_context
def audit_verify(context: Context, batch_size: int) -> None:
    """Check that no entry of the trail was changed, removed or inserted since it was written."""
    from screening.audit.queries import verify
    from screening.db import db

    with context.app.app_context(), db.engine.connect() as connection:
        verdict = verify(connection, batch_size=batch_size)
    if verdict.ok:
        click.echo(f"OK: {verdict.entries} audit entries, hash chain intact")
        return
    if verdict.broken_id is not None:
        intact = f"{verdict.entries} entries before it are intact"
        fail(f"audit entry {verdict.broken_id} is broken: {verdict.problem} ({intact})")
    fail(f"{verdict.problem} ({verdict.entries} entries intact)")
