"""Pas verlengen: the holder starts a renewal from the holder's pages, with what is known filled in.

Only an applicant or partner renews for the household (``visible_people`` gives the
household). The page shows what the gemeente knows and when it runs out; the button makes an
application prefilled with it (``applications.renewal.start_renewal``) and hands over to the
application's own pages, where the resident changes what changed, adds a recent proof of
income and sends it to the caseworker's queue.
"""

from __future__ import annotations

from flask import redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue

from almerepas.applications import renewal
from almerepas.core import clock
from almerepas.core.session import get_session, transactional
from almerepas.income.assessments import assessment_on
from almerepas.income.lines import income_kinds
from almerepas.web.desk.apply import CODE_KEY, SESSION_KEY
from almerepas.web.holder.pages import blp
from almerepas.web.holder.session import actor, holder_required, own_household


@blp.route("/verlengen", methods=["GET"])
@transactional
@holder_required
def renew() -> ResponseReturnValue:
    """What we know, until when the pass works, and the button to renew."""
    household, today = own_household(), clock.today()
    known = renewal.known_answers(get_session(), household, today)
    assessment = assessment_on(get_session(), household.id, today)
    return render_template(
        "holder/renew.html",
        known=known,
        until=assessment.valid_to if assessment else None,
        kinds=income_kinds(),
    )


@blp.route("/verlengen", methods=["POST"])
@transactional
@holder_required
def renew_start() -> ResponseReturnValue:
    """A prefilled application, continued on the application's pages."""
    household = own_household()
    application, code = renewal.start_renewal(
        get_session(), household, now=clock.now(), today=clock.today(), actor=actor()
    )
    session[SESSION_KEY], session[CODE_KEY] = application.id, code
    return redirect(url_for("desk.apply_review"), 303)
