"""Alembic, driven from code: the migrations are the only way the schema is made.

On PostgreSQL the migrations may run as a role that owns the schema while the application
connects as another role with row rights only (README, Configuration). Then every upgrade and
downgrade ends by giving that application role exactly its rights (:func:`grant_app_role`), in
the same transaction, so the rights follow every new table.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, text

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


#: What the application role may do to a table's rows; TRUNCATE, REFERENCES and TRIGGER never.
ROW_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
#: ... to a table whose ``info`` has ``insert_only`` (the audit log): read and add, nothing else.
INSERT_ONLY_RIGHTS = "SELECT, INSERT"
#: ... to a table whose ``info`` has ``insert_delete`` (the audit log's personal values, which
#: erasure deletes): read, add and delete, never change.
INSERT_DELETE_RIGHTS = "SELECT, INSERT, DELETE"
#: ... to a table the models do not know: alembic_version (the health check reads it), or a
#: table left by a downgrade.
UNKNOWN_TABLE_RIGHTS = "SELECT"


def alembic_config(
    connection: Connection | None = None, url: str | None = None, *, app_role: str | None = None
) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "file_template",
        "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s",
    )
    config.set_main_option("timezone", "UTC")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    config.attributes["app_role"] = app_role
    return config


@functools.cache
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def upgrade(
    engine: Engine, revision: str = "head", *, sql: bool = False, app_role: str | None = None
) -> None:
    """Migrate up; with ``app_role`` (PostgreSQL), grant that role its rights afterwards."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection, app_role=app_role), revision, sql=sql)


def downgrade(engine: Engine, revision: str, *, app_role: str | None = None) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection, app_role=app_role), revision)


def _table_rights(metadata: MetaData, name: str) -> str:
    table = metadata.tables.get(name)
    if table is None:
        return UNKNOWN_TABLE_RIGHTS
    if table.info.get("insert_only"):
        return INSERT_ONLY_RIGHTS
    return INSERT_DELETE_RIGHTS if table.info.get("insert_delete") else ROW_RIGHTS


def grant_app_role(connection: Connection, role: str, metadata: MetaData) -> None:
    """Give the application role exactly its rights on every table of the schema (PostgreSQL).

    Runs as the schema's owner. Each table's rights are revoked and granted again, so a right
    granted by hand is taken away and a new table gets its rights. Sequences: USAGE only
    (``nextval`` for new ids; ``setval`` needs UPDATE). SQLite has no roles: nothing to do.
    """
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    schema = quote(connection.execute(text("SELECT current_schema()")).scalar_one())
    who = quote(role)
    connection.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {who}"))
    tables = connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
    ).scalars()
    for name in tables.all():
        table = f"{schema}.{quote(name)}"
        connection.execute(text(f"REVOKE ALL ON TABLE {table} FROM {who}"))
        connection.execute(text(f"GRANT {_table_rights(metadata, name)} ON TABLE {table} TO {who}"))
    connection.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}"))
    connection.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {who}"))


def app_role_problems(connection: Connection, role: str, metadata: MetaData) -> list[str]:
    """What ``role`` may do beyond the rights :func:`grant_app_role` gives (PostgreSQL), in Dutch.

    Owning a table (or being a member of its owner) or being a superuser lets the role alter or
    drop the table and its triggers; an insert-only table must not be changed or emptied, and
    the audit log's values (``insert_delete``) may be deleted one by one, never changed.
    """
    if connection.dialect.name != "postgresql":
        return []
    problems: list[str] = []
    if connection.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).scalar():
        problems.append(f"de rol {role} is superuser")
    owned = (
        connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND pg_has_role(:role, tableowner, 'MEMBER') ORDER BY 1"
            ),
            {"role": role},
        )
        .scalars()
        .all()
    )
    if owned:
        problems.append(f"de rol {role} is eigenaar van de tabellen {', '.join(owned)}")
    for table in metadata.sorted_tables:
        if table.info.get("insert_only"):
            refused: tuple[str, ...] = ("UPDATE", "DELETE", "TRUNCATE")
        elif table.info.get("insert_delete"):
            refused = ("UPDATE", "TRUNCATE")
        else:
            continue
        for right in refused:
            if connection.execute(
                text("SELECT has_table_privilege(:role, :table, :right)"),
                {"role": role, "table": table.name, "right": right},
            ).scalar():
                problems.append(f"de rol {role} mag {right} op {table.name}")
    return problems
