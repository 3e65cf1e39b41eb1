"""The audit log: sealed entries under signed tree heads. `screening audit verify` passes on an intact log
and catches what a database administrator could do behind the application's back: an edited reason with
everything the database holds recomputed (the signatures, and an exported head, catch it), an entry removed,
a text blanked without an erasure event."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from screening.audit import offline
from screening.audit.log import head_document, heads
from screening.audit.models import AuditEntry, AuditTreeHead
from screening.audit.tree import Frontier
from screening.clock import utcnow
from screening.db import db
from tests.conftest import fresh


def _entries() -> list[AuditEntry]:
    fresh()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _seal(cli) -> None:
    fresh()  # the test's session ends its read transaction first, as a request would
    result = cli("audit", "seal")
    assert result.exit_code == 0, result.output


def _export(admin_engine, tmp_path: Path) -> Path:
    with admin_engine.connect() as connection:
        row = connection.execute(select(heads).order_by(heads.c.tree_size.desc()).limit(1)).first()
    path = tmp_path / "head.json"
    path.write_text(json.dumps(head_document(row)))
    return path


def _rewrite_everything(admin_engine) -> None:
    """What an administrator with the documented formulas can do: recompute every leaf, node and root."""
    with admin_engine.begin() as connection:
        rows = connection.execute(
            text(
                f"SELECT leaf_index, {', '.join(offline.LEAF_FIELDS)} FROM audit_entries WHERE leaf_index IS NOT NULL "
                "ORDER BY leaf_index"
            )  # fmt: skip
        ).all()
        connection.execute(text("DELETE FROM audit_tree_nodes"))
        tree, nodes, roots = Frontier(), [], {}
        from screening.db import UTCDateTime

        kind = UTCDateTime()
        for row in rows:
            entry = dict(row._mapping)
            entry["at"] = kind.process_result_value(entry["at"], connection.dialect) if not isinstance(
                entry["at"], str) else __import__("datetime").datetime.fromisoformat(entry["at"])  # fmt: skip
            nodes += tree.append(offline.leaf_hash(offline.leaf_data(entry)))
            roots[tree.size] = tree.root().hex()
        connection.execute(
            text('INSERT INTO audit_tree_nodes (level, "index", hash) VALUES (:l, :i, :h)'),
            [{"l": level, "i": index, "h": h} for level, index, h in nodes],
        )
        for size, root in roots.items():
            connection.execute(
                text("UPDATE audit_tree_heads SET root_hash = :r WHERE tree_size = :s"), {"r": root, "s": size}
            )


def test_verify_passes_on_a_sealed_log_and_names_what_is_not_sealed_yet(factory, cli):
    factory.application("negative")
    factory.application("consent_refused")
    count = len(_entries())
    assert count >= 10
    _seal(cli)
    factory.application("draft")
    result = cli("audit", "verify", "--batch-size", "3")  # several batches
    assert result.exit_code == 0, result.output
    assert f"OK: {count} audit entries sealed under 1 signed heads" in result.output
    assert "not sealed yet" in result.output
    _seal(cli)
    result = cli("audit", "verify")
    assert result.exit_code == 0 and "under 2 signed heads" in result.output, result.output


def test_a_forged_reason_with_everything_recomputed_is_caught(factory, cli, admin_engine, tmp_path):
    factory.application("withdrawn")
    _seal(cli)
    exported = _export(admin_engine, tmp_path)
    factory.application("draft")
    _seal(cli)
    victim = next(e for e in _entries() if e.action == "withdraw")
    assert victim.reason
    forged = offline.redactable_digest("nothing happened", victim.client_address)
    with admin_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET reason = 'nothing happened', redactable_digest = :d WHERE id = :id"),
            {"d": forged, "id": victim.id},
        )
    _rewrite_everything(admin_engine)
    result = cli("audit", "verify")  # without an exported head: the signatures no longer match
    assert result.exit_code == 1
    assert "its signature does not match" in result.output
    result = cli("audit", "verify", "--against", str(exported))
    assert result.exit_code == 1
    assert "the exported head: the entries today give another root hash" in result.output


def test_a_removed_entry_and_a_removed_head_are_caught(factory, cli, admin_engine):
    factory.application("withdrawn")
    _seal(cli)
    entries = _entries()
    with admin_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": entries[3].id})
    result = cli("audit", "verify")
    assert result.exit_code == 1 and "leaf 3 of the log is missing" in result.output
    with admin_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_tree_heads"))
    result = cli("audit", "verify")
    assert result.exit_code == 1 and "no signed head covers the log" in result.output


def test_blanking_without_an_erasure_event_is_caught_and_retention_is_honest(app, factory, cli, admin_engine):
    from screening.extensions import settings
    from screening.retention.operations import purge_due

    application = factory.application("withdrawn")
    other = factory.application("withdrawn")
    purge_due(utcnow() + timedelta(days=400), settings().retention)
    db.session.commit()
    _seal(cli)
    trail = [e for e in _entries() if e.object_type == "application" and e.object_id == application.id]
    assert ("withdraw", None, None) in [(e.action, e.reason, e.client_address) for e in trail]
    erasure = next(e for e in _entries() if e.action == "erase_trail_texts")
    assert erasure.erases_digest and erasure.leaf_index is not None
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "blanked by erasure events" in result.output
    # an entry of a file nobody erased, blanked behind the application's back
    factory.application("in_review")
    _seal(cli)
    victim = next(e for e in _entries() if e.reason and e.object_id not in (application.id, other.id))
    with admin_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET reason = NULL, client_address = NULL WHERE id = :id"), {"id": victim.id}
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"audit entry {victim.id} was blanked without an erasure event" in result.output
    # ... and claiming an existing erasure event named it does not help
    with admin_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO audit_erasures (entry_id, erasure_id) VALUES (:e, :x)"), {"e": victim.id, "x": erasure.id}
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"erasure event {erasure.id} does not name the entries recorded as its own" in result.output


def test_prove_prints_a_proof_the_offline_verifier_checks_alone(factory, cli, admin_engine, tmp_path, app):
    factory.application("negative")
    _seal(cli)
    exported = _export(admin_engine, tmp_path)
    factory.application("withdrawn")
    _seal(cli)
    entry = _entries()[4]
    result = cli("audit", "prove", str(entry.id), "--against", str(exported))
    assert result.exit_code == 0, result.output
    proof_path = tmp_path / "proof.json"
    proof_path.write_text(result.output)
    # the verifier is one file: copied alone into an empty folder, run by a Python that cannot see the app
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(Path(offline.__file__), alone / "offline.py")
    from screening.audit.keys import public_pem
    from screening.audit.setup import audit_keys

    key_file = tmp_path / "audit.pub.pem"
    key_file.write_bytes(public_pem(audit_keys().signing_key))
    command = [
        sys.executable,
        "-I",
        "offline.py",
        str(proof_path),
        "--public-key",
        str(key_file),
        "--head",
        str(exported),
    ]
    checked = subprocess.run(command, cwd=alone, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"OK: entry {entry.id} is leaf" in checked.stdout
    # a proof of an edited entry fails
    proof = json.loads(result.output)
    proof["entry"]["action"] = "something else"
    proof_path.write_text(json.dumps(proof))
    checked = subprocess.run(command, cwd=alone, capture_output=True, text=True, check=False)
    assert checked.returncode == 1 and "inclusion proof does not lead" in checked.stdout


def test_heads_are_signed_with_the_configured_key_and_never_in_the_database(app, factory, cli):
    from screening.audit.setup import audit_keys

    factory.application("draft")
    _seal(cli)
    fresh()
    head = db.session.scalars(select(AuditTreeHead)).one()
    assert head.key_id == audit_keys().kid
    assert offline.verify_head(head_document(head), audit_keys().public_keys) is None
    assert offline.verify_head(head_document(head), {}) is not None
