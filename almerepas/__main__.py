"""The `almerepas` console script (and `python -m almerepas`): Flask's CLI on create_app."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from almerepas import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """Almerepas: de stadspas van Almere."""


if __name__ == "__main__":
    main()
