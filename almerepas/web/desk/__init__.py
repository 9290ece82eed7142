"""One desk for residents (issue 13): the anonymous check and the application, no login."""

from __future__ import annotations

# apply and apply_send add their routes to the check's blueprint.
from almerepas.web.desk import apply, apply_send
from almerepas.web.desk.apply_send import allow_uploads
from almerepas.web.desk.check import blp

__all__ = ["allow_uploads", "apply", "apply_send", "blp"]
