"""Everything partner-facing (scanning, redemption, the partner portal). Filled by a later issue."""

from __future__ import annotations

from flask import Blueprint, Flask

from almerepas.http.smorest import API_PREFIX
from almerepas.partners import login, login_pages

blp = Blueprint("partners", __name__, url_prefix="/partners")


def init_app(app: Flask) -> None:
    """The partner API's blueprints on the app's Api (made by almerepas.api), and the pages."""
    api = app.extensions["almerepas.api"]
    api.register_blueprint(login.blp, url_prefix=API_PREFIX)
    app.register_blueprint(blp)
    app.register_blueprint(login_pages.blp)
