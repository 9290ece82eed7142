"""Herinneringen: the holder says no to outreach reminders for the household, or yes again.

The opt-out is the household's (reminders go to the household's address), so only an
applicant or partner changes it, as for Pas verlengen (``visible_people`` gives the
household). It is written through ``outreach.sending.set_opt_out`` with the holder as the
actor, so the audit log says who did it (docs/outreach.md).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from almerepas.core import clock
from almerepas.core.session import get_session, transactional
from almerepas.outreach import sending
from almerepas.web.holder.pages import blp
from almerepas.web.holder.session import actor, holder_required, own_household
from almerepas.web.holder.words import _

#: The form's answer to "do you want reminders?"
ANSWERS = {"ja": False, "nee": True}


@blp.route("/herinneringen", methods=["GET"])
@transactional
@holder_required
def reminders() -> ResponseReturnValue:
    """Whether the household gets reminders, and the one button that changes it."""
    household = own_household()
    return render_template(
        "holder/reminders.html", wanted=sending.wants_reminders(get_session(), household.id)
    )


@blp.route("/herinneringen", methods=["POST"])
@transactional
@holder_required
def reminders_change() -> ResponseReturnValue:
    """Stop the reminders, or start them again; audited with the holder as the actor."""
    household = own_household()
    wants_none = ANSWERS.get(request.form.get("herinneringen", ""))
    if wants_none is None:
        abort(400)
    sending.set_opt_out(get_session(), household.id, wants_none, now=clock.now(), actor=actor())
    flash(
        _("Wij sturen u geen herinneringen meer. U kunt ze hier altijd weer aanzetten.")
        if wants_none
        else _("Wij sturen u weer herinneringen.")
    )
    return redirect(url_for("holder.reminders"), 303)
