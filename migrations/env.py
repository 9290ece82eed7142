"""Alembic environment: runs on the connection almerepas.core.migrate hands over, or on a URL."""

from __future__ import annotations

from alembic import context

from almerepas.core import migrate
from almerepas.core.db import Base, make_engine
from almerepas.models import *  # noqa: F403 - every model must be on the metadata

config = context.config
target_metadata = Base.metadata


def run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        app_role = config.attributes.get("app_role")
        if app_role:
            # The rights follow the schema: every run grants the application role its rights
            # on the tables as they are now (almerepas.core.migrate.grant_app_role).
            migrate.grant_app_role(connection, app_role, target_metadata)  # type: ignore[arg-type]


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
