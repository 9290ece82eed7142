"""One desk for residents (issue 13): pages that ask nothing of staff and need no login."""

from __future__ import annotations

from almerepas.web.desk.check import blp

__all__ = ["blp"]
