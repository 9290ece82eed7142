"""A retired operation registered only in tests: no real one is retired yet (README, API
Design Rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from flask import Flask
from marshmallow import fields

from almerepas.http.api_doc import retired
from almerepas.http.rest import API_PREFIX, Blueprint

DEPRECATED_SINCE = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
SUNSET = dt.datetime(2027, 7, 1, tzinfo=dt.UTC)


class OldThingsSchema(ma.Schema):
    items = fields.List(fields.String(), required=True)


def register_retiring(app: Flask) -> None:
    """Add GET /api/v1/old-things, retired in favour of GET /schemes, to a fresh ``app``."""
    blp = Blueprint("retiring", __name__, description="Verouderd, alleen in tests")

    @blp.route("/old-things", operation_id="listOldThings")
    @retired(DEPRECATED_SINCE, SUNSET, successor="GET /schemes")
    @blp.response(200, OldThingsSchema)
    def old_things() -> dict[str, Any]:
        """Oude dingen, alleen in tests."""
        return {"items": []}

    app.extensions["almerepas.api"].register_blueprint(blp, url_prefix=API_PREFIX)
