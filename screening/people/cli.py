"""``screening identifiers rotate``: re-encrypt every stored identifier with the first configured key."""

from __future__ import annotations

import click

from screening.cli_base import Context, Group, pass_context


@click.group(cls=Group)
def identifiers() -> None:
    """Protected identifiers (national register and document numbers)."""


@identifiers.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@pass_context
def identifiers_rotate(context: Context, batch_size: int) -> None:
    """After putting a new key first in security.identifier_keys: re-encrypt with it, so old keys can go."""
    from screening.db import db
    from screening.people.operations import rotate_identifiers

    total = 0
    with context.app.app_context():
        last = 0
        while True:  # one transaction per batch: a crash loses at most one batch, and rotation is idempotent
            done, last = rotate_identifiers(context.app.extensions["screening.vault"], after=last, limit=batch_size)
            db.session.commit()
            total += done
            if done < batch_size:
                break
    click.echo(f"Re-encrypted the identifiers of {total} people with the first key.")
