"""Almerepas: the city pass of Almere."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, send_from_directory
from flask_babel import get_locale

from almerepas.config import load_config


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, database, i18n, error shape, API, partner and web blueprints."""
    from almerepas import caseworker_views, db, grant_run_views, staff_views, views
    from almerepas.api import init_api
    from almerepas.cli import register_commands
    from almerepas.extensions import babel, select_locale
    from almerepas.partners import blp as partners_blp
    from almerepas.problems import register_error_handlers, request_id

    app = Flask(__name__, static_folder="../static", static_url_path="/static")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(Path(app.instance_path), overrides=overrides))
    app.url_map.strict_slashes = True

    db.init_app_database(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    register_error_handlers(app)
    init_api(app)
    app.register_blueprint(partners_blp)
    app.register_blueprint(views.blp)
    staff_views.init_app(app)
    caseworker_views.init_app(app)
    grant_run_views.init_app(app)
    register_commands(app)

    @app.route("/static/swagger-ui/<path:filename>")
    def swagger_ui_asset(filename: str) -> Response:
        from swagger_ui_bundle import swagger_ui_path

        return send_from_directory(str(swagger_ui_path), filename)

    @app.after_request
    def _headers(response: Response) -> Response:
        """ADR: API-Version on every response; security headers (ADR transport rules, BIO)."""
        response.headers["API-Version"] = app.config["API_VERSION"]
        response.headers["X-Request-ID"] = request_id()
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.path == "/api/v1/docs":
            # Swagger UI starts itself with an inline script.
            csp = "default-src 'self'; script-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            csp += "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        else:
            csp = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
            csp += "form-action 'self'"
        response.headers["Content-Security-Policy"] = csp
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Language"] = str(get_locale() or "nl")
        response.vary.add("Accept-Language")
        lang = request.args.get("lang")
        if lang and lang in app.config["LANGUAGES"] and request.cookies.get("lang") != lang:
            response.set_cookie(
                "lang",
                lang,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=app.config["SESSION_COOKIE_SECURE"],
                httponly=True,
            )
        return response

    return app
