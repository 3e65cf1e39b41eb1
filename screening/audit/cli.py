"""``screening audit``: seal the log, verify it, prove one entry, make a key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from screening.cli_base import Context, Group, fail, pass_context


@click.group(cls=Group)
def audit() -> None:
    """The audit trail: a Merkle log with signed tree heads (docs/audit.md)."""


def _read_head(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        head = json.loads(Path(path).read_text(encoding="utf-8"))
        int(head["tree_size"]), bytes.fromhex(head["root_hash"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        fail(f"{path}: not an exported tree head ({error})")
    return head


@audit.command("verify")
@click.option("--against", "against_path", type=click.Path(dir_okay=False), help="A tree head exported earlier.")
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(1, 100_000))
@pass_context
def audit_verify(context: Context, against_path: str | None, batch_size: int) -> None:
    """Recompute the log from its entries and check every signed head (and an exported one)."""
    from screening.audit.setup import audit_keys
    from screening.audit.verify import verify
    from screening.db import db

    against = _read_head(against_path)
    with context.app.app_context(), db.engine.connect() as connection:
        report = verify(connection, audit_keys().public_keys, against=against, batch_size=batch_size)
    for problem in report.problems:
        click.echo(f"FAILED: {problem}", err=True)
    if not report.ok:
        fail(f"the audit log does not verify ({len(report.problems)} problem(s) above)")
    line = f"OK: {report.entries} audit entries sealed under {report.heads} signed heads"
    extra = [f"{report.erased} blanked by erasure events" if report.erased else "", ""]
    if report.unsealed:
        extra.append(f"{report.unsealed} written since the last sealing, not sealed yet")
    if against is not None:
        extra.append(f"the log extends the exported head of {against['tree_size']} entries")
    click.echo("; ".join([line, *[e for e in extra if e]]))


@audit.command("prove")
@click.argument("entry_id", type=click.IntRange(1, 2**63 - 1))
@click.option("--against", "against_path", type=click.Path(dir_okay=False), help="Also prove consistency with it.")
@pass_context
def audit_prove(context: Context, entry_id: int, against_path: str | None) -> None:
    """Print the inclusion proof of one entry against the latest signed head (JSON for offline.py)."""
    from screening.audit.log import LogError, dumps, prove
    from screening.db import db

    against = _read_head(against_path)
    with context.app.app_context(), db.engine.connect() as connection:
        try:
            proof = prove(connection, entry_id, against)
        except LogError as error:
            fail(str(error))
    click.echo(dumps(proof))


@audit.command("seal")
@pass_context
def audit_seal(context: Context) -> None:
    """Seal what is committed now and sign the new head (the scheduler does this every minute)."""
    from screening.audit.log import LogError
    from screening.audit.sealing import export_daily_head, seal_log
    from screening.audit.setup import audit_keys
    from screening.clock import utcnow
    from screening.db import db
    from screening.notifications.audit_heads import mail_exported_head

    with context.transaction():
        try:
            sealed = seal_log(audit_keys(), utcnow(), context.config)
        except LogError as error:
            fail(str(error))
        mail_exported_head(export_daily_head(utcnow(), context.config), utcnow(), context.config)
        db.session.commit()
    click.echo(f"sealed {sealed.entries} entries; the log holds {sealed.tree_size}")


@audit.command("keygen")
@click.option("--out", "directory", required=True, type=click.Path(file_okay=False))
def audit_keygen(directory: str) -> None:
    """Write a new audit signing key (private, mode 600) and its public half into DIRECTORY."""
    import os

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from screening.audit.keys import private_pem, public_pem
    from screening.audit.offline import key_id

    key = Ed25519PrivateKey.generate()
    kid = key_id(key.public_key())
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    private = folder / f"audit-{kid}.pem"
    descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem(key))
    (folder / f"audit-{kid}.pub.pem").write_bytes(public_pem(key))
    click.echo(f"key {kid}: {private} (set audit.signing_key_file) and {folder / f'audit-{kid}.pub.pem'}")
