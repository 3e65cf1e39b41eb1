"""`screening db upgrade` builds exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import screening.models  # noqa: F401
from screening.db import Base


def test_upgrade_head_matches_the_models(admin_engine):
    with admin_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_schema_is_at_head(admin_engine):
    from alembic.script import ScriptDirectory

    from screening.migrate import alembic_config, current

    head = ScriptDirectory.from_config(alembic_config(str(admin_engine.url))).get_current_head()
    assert current(admin_engine) == head
