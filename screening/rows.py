"""Row locks and batched writes of versioned rows, shared by the machines' operations (applications, clearances).

A transition locks its row (``SELECT ... FOR UPDATE``) and reads its latest state before deciding; the
scheduler's batches lock and write many rows in a few statements instead of a few statements per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.attributes import set_committed_value

from screening.db import db


def lock_rows(*instances: Any) -> None:
    """Lock the rows (SELECT ... FOR UPDATE) and reload their columns in that one statement, leaving loaded
    relationships alone: a batch of the scheduler costs one round trip, not one per file."""
    if not instances:
        return
    mapper = sa_inspect(instances[0]).mapper
    table = mapper.local_table
    by_id = {instance.id: instance for instance in instances}
    rows = db.session.execute(select(table).where(table.c.id.in_(by_id)).with_for_update()).mappings()
    attributes = [(attribute.key, attribute.columns[0]) for attribute in mapper.column_attrs]
    for row in rows:
        instance = by_id[row[table.c.id]]
        for key, column in attributes:
            set_committed_value(instance, key, row[column])


def write_locked(instances: Sequence[Any]) -> None:
    """Write the changed columns of locked rows with one executemany per shape of change, and leave each
    instance clean as after a flush.

    The ORM writes a versioned row with one UPDATE per row, to check each row count; these rows are locked
    (``FOR UPDATE``) or the write lock is ours (SQLite), so that check has nothing left to catch. The version
    is still bumped, so a user's page loaded before still gets its conflict. An instance with a changed
    relationship is left to the ORM's flush.
    """
    if not instances:
        return
    mapper = sa_inspect(instances[0]).mapper
    table = mapper.local_table
    version = mapper.get_property_by_column(mapper.version_id_col).key
    groups: dict[tuple[str, ...], list[tuple[Any, dict[str, Any]]]] = {}
    for instance in instances:
        state = sa_inspect(instance)
        changed = {attr.key: attr.value for attr in state.attrs if attr.history.has_changes()}
        if any(key not in mapper.column_attrs for key in changed):
            continue
        groups.setdefault(tuple(sorted(changed)), []).append((instance, changed))
    with db.session.no_autoflush:
        for keys, members in groups.items():
            columns = {key: mapper.column_attrs[key].columns[0] for key in (*keys, version)}
            statement = (
                update(table)
                .where(table.c.id == bindparam("row_id", type_=table.c.id.type))
                .values({column: bindparam(f"new_{key}", type_=column.type) for key, column in columns.items()})
            )
            rows = [
                {"row_id": instance.id, f"new_{version}": instance.version + 1}
                | {f"new_{key}": value for key, value in changed.items()}
                for instance, changed in members
            ]
            db.session.execute(statement, rows)
            for instance, changed in members:
                for key, value in changed.items():
                    set_committed_value(instance, key, value)
                set_committed_value(instance, version, instance.version + 1)
