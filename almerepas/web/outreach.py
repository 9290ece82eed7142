"""Bereik (/medewerkers/bereik): the caseworker's list of households that do not use what they
have, or whose pass ends soon; one button sends the reminders (optionally to a random half, as
an experiment), and each run's page shows whether the reminded half used their pass more.

Only caseworkers see it: it is the one list that names residents (docs/outreach.md).
"""

from __future__ import annotations

from fractions import Fraction

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from almerepas.audit import log as audit
from almerepas.core import clock
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.households.models import Household, Person
from almerepas.http.guard import current_actor, require_role
from almerepas.http.outbox import send_after_response
from almerepas.outreach import experiment, listing, sending
from almerepas.outreach.models import OptOut, OutreachRun
from almerepas.schemes.models import Scheme
from almerepas.web.caseworker import may, no_store, scheme_name

blp = Blueprint("outreach_pages", __name__, url_prefix="/medewerkers/bereik")
blp.after_request(no_store)

CHANNELS = {"email": _l("e-mail"), "sms": _l("sms"), "post": _l("brief")}


def _weeks() -> int:
    return int(current_app.config["OUTREACH_WEEKS"])


@blp.route("")
@require_role("outreach.read")
@transactional
def page() -> str:
    """The list, the households that said no to reminders (by themselves on the holder's pages or
    through a caseworker), and the runs so far."""
    session, today = get_session(), clock.today()
    items = listing.outreach_list(session, today, weeks=_weeks())
    households = {
        h.id: h
        for h in session.scalars(
            select(Household).where(
                Household.id.in_({i.household_id for i in items} | _opted_out_ids())
            )
        )
    }
    people = {
        p.id: f"{p.given_name} {p.family_name}"
        for p in session.scalars(
            select(Person).where(Person.id.in_({p for i in items for p in i.person_ids}))
        )
    }
    schemes = {s.id: s for s in session.scalars(select(Scheme))}
    audit.record(
        session, actor=current_actor(), action="outreach.view", entity_type="outreach_list",
        entity_id=0, changes={"households": len({i.household_id for i in items})},
    )  # fmt: skip
    return render_template(
        "outreach/list.html",
        items=items,
        households=households,
        people=people,
        schemes=schemes,
        scheme_name=scheme_name,
        name_of=lambda h: sending.greeted_name(h, today),
        channel_of=lambda h: CHANNELS[sending.channel_of(h)],
        opted_out=session.scalars(select(OptOut).order_by(OptOut.household_id)).all(),
        day_of=lambda moment: f"{moment.astimezone(clock.LOCAL):%d-%m-%Y}",
        runs=experiment.runs(session),
        weeks=_weeks(),
        may=may,
    )


def _opted_out_ids() -> set[int]:
    return set(get_session().scalars(select(OptOut.household_id)))


@blp.route("/versturen", methods=["POST"])
@require_role("outreach.send")
@transactional
def send() -> ResponseReturnValue:
    """Send every reminder on the list now; with the box ticked, to a random half only."""
    send_after_response()
    session, now, today = get_session(), clock.now(), clock.today()
    seed = sending.new_seed() if request.form.get("experiment") == "ja" else None
    items = listing.outreach_list(session, today, weeks=_weeks())
    run, contacts = sending.send_all(
        session, items, day=today, weeks=_weeks(), seed=seed, keys=get_keys(), now=now,
        actor=current_actor(),
    )  # fmt: skip
    reminded = sum(1 for c in contacts if c.channel is not None)
    flash(
        _("%(n)s herinneringen verstuurd, %(m)s in de vergelijkingsgroep.")
        % {"n": reminded, "m": len(contacts) - reminded}
    )
    return redirect(url_for("outreach_pages.run", run_id=run.id), 303)


@blp.route("/runs/<int:run_id>")
@require_role("outreach.read")
@transactional
def run(run_id: int) -> str:
    """Take-up in the four weeks after a run, per half, with the difference and its interval."""
    session = get_session()
    if session.get(OutreachRun, run_id) is None:
        abort(404)
    result = experiment.take_up(session, run_id)
    return render_template(
        "outreach/run.html", result=result, today=clock.today(), percent=_percent
    )


def _percent(value: float | Fraction, signed: bool = False) -> str:
    """A share (12,5%) or a difference (+12,5%) with one decimal, as Dutch readers write it."""
    number = float(value) * 100  # a share of households, not money
    text = f"{number:+.1f}%" if signed else f"{number:.1f}%"
    return text.replace(".", ",")


@blp.route("/afmelden", methods=["POST"])
@require_role("outreach.send")
@transactional
def opt_out() -> ResponseReturnValue:
    """A household that wants no reminders (or wants them again), as it told the caseworker."""
    household_id = request.form.get("household_id", "")
    if not household_id.isdigit() or get_session().get(Household, int(household_id)) is None:
        abort(404)
    wants_none = request.form.get("herinneringen") == "nee"
    sending.set_opt_out(
        get_session(), int(household_id), wants_none, now=clock.now(), actor=current_actor()
    )
    flash(
        _("Dit huishouden krijgt geen herinneringen meer.")
        if wants_none
        else _("Dit huishouden krijgt weer herinneringen.")
    )
    return redirect(url_for("outreach_pages.page"), 303)
