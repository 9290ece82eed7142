"""The live line on the pass page: "Zojuist gebruikt bij Sportclub Centrum: € 12,00".

The pass page asks every second (static/holder/recent.js). The cashier looks at the customer's
screen instead of asking questions; a screenshot of a pass shows nothing new.
"""

from __future__ import annotations

from flask import abort, jsonify
from flask.typing import ResponseReturnValue

from almerepas.core import clock
from almerepas.core.session import get_session, transactional
from almerepas.http.words import english, quantity
from almerepas.redemptions.recent import RecentUse, recent_uses
from almerepas.web.holder.pages import blp
from almerepas.web.holder.phone import visible_pass
from almerepas.web.holder.session import current_holder
from almerepas.web.holder.words import _


def _amount(amount: int, unit: str) -> str:
    """As on a receipt: always with cents (``€ 12,00``), so it reads like the till's amount."""
    if unit != "EUR":
        return quantity(amount, unit)
    euros, cents = divmod(amount, 100)
    if english():
        return f"€{euros:,}.{cents:02d}"
    return f"€ {euros:,}".replace(",", ".") + f",{cents:02d}"


def use_text(use: RecentUse) -> str:
    if use.amount is None:
        return _("Zojuist gebruikt bij %(partner)s: een rit", partner=use.partner_name)
    return _(
        "Zojuist gebruikt bij %(partner)s: %(amount)s",
        partner=use.partner_name,
        amount=_amount(use.amount, use.unit),
    )


@blp.route("/passen/<number>/zojuist", endpoint="recent")
@transactional
def recent(number: str) -> ResponseReturnValue:
    """What this pass was used for at a partner in the last minutes, newest first."""
    if current_holder() is None:
        abort(401)
    found = visible_pass(number)
    uses = recent_uses(get_session(), found.id, now=clock.now())
    response = jsonify(
        uses=[
            {
                "id": use.id,
                "text": use_text(use),
                "time": use.at.astimezone(clock.LOCAL).strftime("%H:%M:%S"),
            }
            for use in uses
        ]
    )
    response.headers["Cache-Control"] = "no-store"
    return response
