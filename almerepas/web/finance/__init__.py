"""The gemeente's finance pages for settlement (docs/settlement.md): every run, what is owed and
late, and one run with its buttons: approve (four eyes), cancel, the SEPA file, Stripe, confirm.

Plain HTML without JavaScript. They do what the finance API in almerepas.api.settlements does,
for people, with the same domain operations in almerepas.settlements. ``settlements.read``
(finance, auditor) sees; only ``settlements.write`` (finance) gets the forms and buttons.
"""

from __future__ import annotations

from flask import Flask

from almerepas.web.finance import paying, runs

__all__ = ["paying"]  # its routes are on runs.blp


def init_app(app: Flask) -> None:
    app.register_blueprint(runs.blp)
