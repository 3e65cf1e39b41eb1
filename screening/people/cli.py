"""``screening identifiers rotate``: re-encrypt every stored identifier (people, staff registers) with the first
configured key."""

from __future__ import annotations

from collections.abc import Callable

import click

from screening.cli_base import Context, Group, pass_context
from screening.vault import IdentifierVault


@click.group(cls=Group)
def identifiers() -> None:
    """Protected identifiers (national register and document numbers)."""


@identifiers.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@pass_context
def identifiers_rotate(context: Context, batch_size: int) -> None:
    """After putting a new key first in security.identifier_keys: re-encrypt with it, so old keys can go."""
    from screening.people.operations import rotate_identifiers
    from screening.workforce.operations import rotate_register_numbers

    with context.app.app_context():
        people = _in_batches(rotate_identifiers, context.app.extensions["screening.vault"], batch_size)
        entries = _in_batches(rotate_register_numbers, context.app.extensions["screening.vault"], batch_size)
    click.echo(f"Re-encrypted the identifiers of {people} people with the first key.")
    click.echo(f"Re-encrypted the numbers of {entries} entries of the staff registers with the first key.")


def _in_batches(rotate: Callable[..., tuple[int, int]], vault: IdentifierVault, batch_size: int) -> int:
    """One transaction per batch: a crash loses at most one batch, and rotation is idempotent."""
    from screening.db import db

    total, last = 0, 0
    while True:
        done, last = rotate(vault, after=last, limit=batch_size)
        db.session.commit()
        total += done
        if done < batch_size:
            return total
