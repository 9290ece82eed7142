"""The `almerepas` console script (and `python -m almerepas`): Flask's CLI on create_app."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from almerepas import create_app


def create_command_app() -> Flask:
    """The app for a command: no rate limits (nobody tries a door from the command line), and so
    no limiter store whose timer thread would outlive the command."""
    return create_app({"RATELIMIT_ENABLED": False})


@click.group(cls=FlaskGroup, create_app=create_command_app, add_version_option=False)
def main() -> None:
    """Almerepas: de stadspas van een gemeente (ALMEREPAS_GEMEENTE_DIR)."""


if __name__ == "__main__":
    main()
