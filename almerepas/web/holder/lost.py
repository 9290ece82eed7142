"""A holder reports a pass lost or stolen: it stops at once and a new one takes its place.

A parent does this for the children's passes too (whoever may see a pass may report it). The
first POST shows what will happen; only the confirmed one changes anything. The old pass is
blocked with the reason (``pass.block``) and a new one with a new number follows
(``pass.reissue``); the next card batch prints its card (docs/passes.md).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from almerepas.core import clock
from almerepas.core.errors import NotFound
from almerepas.core.session import get_session, transactional
from almerepas.households.models import Person
from almerepas.passes import operations as passes
from almerepas.passes.models import BlockReason, PassStatus
from almerepas.web.holder.pages import blp
from almerepas.web.holder.phone import visible_pass
from almerepas.web.holder.session import actor, holder_required

REASONS = {"lost": BlockReason.lost, "stolen": BlockReason.stolen}


@blp.route("/passen/<number>/kwijt", methods=["POST"])
@transactional
@holder_required
def report_lost(number: str) -> ResponseReturnValue:
    """Block a lost or stolen pass and make a new one, after a confirmation."""
    found = visible_pass(number)
    if found.status != PassStatus.active:
        raise NotFound()
    person = get_session().get_one(Person, found.person_id)
    reason = REASONS.get(request.form.get("reason", ""))
    if request.form.get("bevestigd") != "ja" or reason is None:
        missing = request.form.get("bevestigd") == "ja" and reason is None
        html = render_template("holder/lost.html", pass_=found, person=person, missing=missing)
        return html, 400 if missing else 200
    now = clock.now()
    passes.block_pass(get_session(), found, reason=reason, actor=actor(), now=now)
    new = passes.reissue_pass(get_session(), found, actor=actor(), now=now)
    flash(
        _(
            "De oude pas van %(name)s werkt niet meer. Het nieuwe pasnummer is %(number)s. "
            "Heeft %(name)s een kaart? Dan sturen we een nieuwe kaart op.",
            name=person.given_name,
            number=new.number,
        )
    )
    return redirect(url_for("holder.overview"), 303)
