"""Everything partner-facing (scanning, redemption, the partner portal). Filled by a later issue."""

from __future__ import annotations

from flask import Blueprint

blp = Blueprint("partners", __name__, url_prefix="/partners")
