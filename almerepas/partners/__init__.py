"""Everything partner-facing: the partner API (scan, redeem, reverse, log in), the portal."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_smorest import Api

from almerepas.http.rest import API_PREFIX
from almerepas.partners import api as partner_api
from almerepas.partners import (
    login,
    login_pages,
    portal,
    portal_transactions,
    rides,
    statement_pdf,
    statements,
)
from almerepas.partners.portal_words import JINJA_HELPERS

__all__ = ["portal_transactions", "statement_pdf", "statements"]  # their routes are on portal.blp

blp = Blueprint("partners", __name__, url_prefix="/partners")


def init_app(app: Flask, api: Api) -> None:
    """Register the partner API on the app's Api and the partner pages on the app."""
    api.register_blueprint(partner_api.blp, url_prefix=API_PREFIX)
    api.register_blueprint(rides.blp, url_prefix=API_PREFIX)
    api.register_blueprint(login.blp, url_prefix=API_PREFIX)
    app.register_blueprint(blp)
    app.register_blueprint(portal.blp)
    app.jinja_env.globals.update(portal_words=JINJA_HELPERS)
    app.register_blueprint(login_pages.blp)
