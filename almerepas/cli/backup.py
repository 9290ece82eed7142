"""`almerepas backup` and `almerepas restore`: the whole database to one file and back.

PostgreSQL goes through pg_dump's custom format and pg_restore (the server's own tools: a
home-made dump would miss sequences, constraints and grants); SQLite through its online backup
API, which copies a consistent snapshot while the service runs. Both connect as the schema's
owner (MIGRATION_DATABASE_URL, else DATABASE_URL). A restore goes into an empty database and
refuses one with tables unless --force (docs/operations.md, Backup and restore).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import URL, inspect, make_url

from almerepas.cli.batch import console
from almerepas.cli.exclusive import one_at_a_time
from almerepas.core.db import make_engine

#: Where Debian puts each PostgreSQL version's tools; the newest can read every older server.
PG_LIB = Path("/usr/lib/postgresql")


def owner_url() -> URL:
    config = current_app.config
    return make_url(config.get("MIGRATION_DATABASE_URL") or config["DATABASE_URL"])


def pg_tool(name: str) -> str:
    """The newest installed pg_dump or pg_restore: Debian's versioned folders, then PATH."""
    versions = sorted(
        (p for p in PG_LIB.glob(f"*/bin/{name}") if p.parent.parent.name.isdigit()),
        key=lambda p: int(p.parent.parent.name),
    )
    if versions:
        return str(versions[-1])
    found = shutil.which(name)
    if not found:
        raise click.ClickException(f"{name} is niet gevonden: installeer postgresql-client.")
    return found


def pg_environment(url: URL) -> dict[str, str]:
    """libpq's variables for the URL: the password goes in the environment, never in argv."""
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", url.query.get("sslmode")),
    ):
        if value is not None:
            env[key] = str(value)
    return env


def _run(command: list[str], url: URL) -> None:
    done = subprocess.run(  # noqa: S603 - our own tool path and arguments, no shell
        command, env=pg_environment(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise click.ClickException(f"{Path(command[0]).name} is mislukt:\n{done.stderr.strip()}")


def _tables(url: URL) -> list[str]:
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise click.ClickException("Een SQLite-database in het geheugen heeft geen back-up.")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a consistent snapshot with SQLite's backup API (safe while others write)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@click.command("backup")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Het bestand voor de back-up (PostgreSQL: pg_dump custom format).",
)  # fmt: skip
@with_appcontext
@one_at_a_time("backup")
def backup(out: Path) -> None:
    """Schrijf de hele database naar één bestand (PostgreSQL: pg_dump, SQLite: backup-API)."""
    url = owner_url()
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(_sqlite_path(url), partial)
    else:
        _run([pg_tool("pg_dump"), "--format=custom", f"--file={partial}"], url)
    partial.replace(out)  # a backup that stopped halfway never has the final name
    console.print(f"Back-up geschreven: {out} ({out.stat().st_size} bytes).")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Ook over een database met tabellen heen.")
@with_appcontext
def restore(file: Path, force: bool) -> None:
    """Zet een back-up terug in een lege database; een database met tabellen alleen met --force."""
    url = owner_url()
    tables = _tables(url)
    if tables and not force:
        raise click.ClickException(
            f"De database heeft al {len(tables)} tabellen: niets teruggezet. Zet terug in een "
            "lege database, of overschrijf alles met --force."
        )
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(file, _sqlite_path(url))
    else:
        command = [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction"]
        if force:
            command += ["--clean", "--if-exists"]
        _run([*command, f"--dbname={url.database}", str(file)], url)
    console.print(f"Teruggezet uit {file}. Controleer met: almerepas db check")
