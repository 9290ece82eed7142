"""Everything partner-facing (scanning, redemption, the partner portal)."""

from __future__ import annotations

from flask import Blueprint, Flask

from almerepas.partners import portal, portal_transactions
from almerepas.partners.portal_words import JINJA_HELPERS

__all__ = ["portal_transactions"]  # its routes are on portal.blp

blp = Blueprint("partners", __name__, url_prefix="/partners")


def init_portal(app: Flask) -> None:
    """The partner portal's pages under /partner and the words its templates use."""
    app.register_blueprint(portal.blp)
    app.jinja_env.globals.update(portal_words=JINJA_HELPERS)
