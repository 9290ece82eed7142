"""Almerepas: a city pass service for a gemeente. This module composes the app from its layers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, appcontext_pushed, send_from_directory
from flask_babel import get_locale
from sqlalchemy.orm import configure_mappers
from swagger_ui_bundle import swagger_ui_path

from almerepas import api, cli, partners, web
from almerepas.config import load_config
from almerepas.core import gemeente
from almerepas.core.session import init_app_database
from almerepas.http import limits, logs, metrics, request_input, security, sso
from almerepas.http.extensions import (
    babel,
    gemeente_texts,
    language_switch,
    select_locale,
    text_direction,
)
from almerepas.http.problems import register_error_handlers


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, database, i18n, error shape, API, partner and web blueprints."""
    app = Flask(
        __name__,
        static_folder="../static",
        static_url_path="/static",
        template_folder="web/templates",
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(Path(app.instance_path), overrides=overrides))
    app.url_map.strict_slashes = True

    _serve_gemeente(app)
    init_app_database(app)
    babel.init_app(app, locale_selector=select_locale)
    gemeente_texts(app)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["text_direction"] = text_direction
    app.jinja_env.globals["language_switch"] = language_switch
    register_error_handlers(app)
    security.init_app(app)
    metrics.init_app(app)
    logs.init_app(app)
    rest = api.init_api(app)
    request_input.init_app(app)  # after the API's 415 and 406
    partners.init_app(app, rest)
    sso.init_app(app)
    web.init_app(app)
    limits.init_app(app)  # after every blueprint: it wraps their views
    cli.register_commands(app)
    configure_mappers()  # now, not in each worker's first request (a quarter of a second)

    @app.route("/static/swagger-ui/<path:filename>")
    def swagger_ui_asset(filename: str) -> Response:
        return send_from_directory(str(swagger_ui_path), filename)

    return app


def _serve_gemeente(app: Flask) -> None:
    """The app's gemeente (its data folder) is the one the domain reads, also when a process
    holds several apps (the tests): each request and command of an app installs its own."""
    place = app.config["GEMEENTE"]
    gemeente.install(place)

    def _install(_sender: Flask, **_extra: Any) -> None:
        gemeente.install(place)

    appcontext_pushed.connect(_install, app, weak=False)
