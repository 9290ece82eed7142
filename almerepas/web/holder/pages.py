"""The holder's pages without JavaScript: log in with a code, the overview, history, where.

Logging in: /mijn/inloggen asks for an e-mail address or a mobile number and always answers
the same way ("if we know it, a code is on its way"); /mijn/inloggen/code takes the code.
The message leaves after the response (almerepas.http.outbox.send_after_response).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.contracts import agreements
from almerepas.contracts.offers import current_offers
from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.core.text import western_digits
from almerepas.holders import overview
from almerepas.holders.errors import InvalidContact, TooManyCodes
from almerepas.holders.household import visible_people
from almerepas.holders.login import OneTimeCodeLogin
from almerepas.holders.sessions import end_session, open_session
from almerepas.households.models import Person
from almerepas.http.guard import safe_next
from almerepas.http.i18n import translate
from almerepas.http.outbox import send_after_response
from almerepas.passes.models import Pass
from almerepas.web.forms import Errors
from almerepas.web.holder.session import (
    CONTACT_KEY,
    PERSON_KEY,
    TOKEN_KEY,
    actor,
    current_holder,
    holder_required,
)
from almerepas.web.holder.words import mask_contact

blp = Blueprint("holder", __name__, url_prefix="/mijn")

CODE = re.compile(r"[0-9]{6}")


def _login() -> OneTimeCodeLogin:
    return OneTimeCodeLogin(
        get_session(), keys=get_keys(), now=clock.now(), actor=actor(), translate=translate
    )


def _next() -> str | None:
    target = safe_next(request.values.get("next"))
    return target if target and target.startswith("/mijn") else None


@blp.route("/inloggen", methods=["GET", "POST"])
@transactional
def login() -> ResponseReturnValue:
    """Step 1: the contact. The answer never says whether we know it."""
    if request.method == "GET":
        if current_holder() is not None:
            return redirect(_next() or url_for("holder.overview"), 303)
        return _page("holder/login.html", {"contact": ""}, [], 200)
    contact = western_digits(request.form.get("contact", "").strip())
    form = {"contact": contact}
    try:
        _login().start(contact)
    except InvalidContact as exc:
        return _page("holder/login.html", form, [("contact", translate(exc.title))], 400)
    except TooManyCodes as exc:
        html, status = _page("holder/login.html", form, [("contact", translate(exc.title))], 429)
        return html, status, {"Retry-After": str(exc.retry_after)}
    session[CONTACT_KEY] = contact
    send_after_response()
    return redirect(url_for("holder.code", next=_next()), 303)


@blp.route("/inloggen/code", methods=["GET", "POST"])
@transactional
def code() -> ResponseReturnValue:
    """Step 2: the six digits. A refusal is counted (and committed) before it is shown."""
    contact = session.get(CONTACT_KEY)
    if not isinstance(contact, str):
        return redirect(url_for("holder.login"), 303)
    shown = {"contact": mask_contact(contact), "code": ""}
    if request.method == "GET":
        return _page("holder/code.html", shown, [], 200)
    typed = western_digits(request.form.get("code", "").replace(" ", ""))
    if not CODE.fullmatch(typed):
        errors: Errors = [("code", _("Vul de code van 6 cijfers in. U vindt hem in het bericht."))]
        return _page("holder/code.html", shown, errors, 400)
    try:
        person = _login().finish(contact, typed)
    except InvalidContact:
        return redirect(url_for("holder.login"), 303)
    except DomainError as exc:
        return _page("holder/code.html", shown, [("code", translate(exc.title))], exc.status)
    db = get_session()
    previous = session.get(TOKEN_KEY)
    if isinstance(previous, str):
        end_session(db, previous, now=clock.now(), actor=actor())
    for key in (TOKEN_KEY, PERSON_KEY, CONTACT_KEY, "csrf_token"):
        session.pop(key, None)  # nothing planted before the login survives it
    session[TOKEN_KEY] = open_session(db, person, now=clock.now())
    session[PERSON_KEY] = person.id
    return redirect(_next() or url_for("holder.overview"), 303)


def _page(template: str, form: dict[str, str], errors: Errors, status: int) -> tuple[str, int]:
    html = render_template(
        template,
        form=form,
        errors=errors,
        field_errors=dict(errors),
        next_url=_next(),
        digid_enabled=bool(current_app.config["RESIDENT_OIDC_ISSUER"]),
    )
    return html, status


@blp.route("/uitloggen", methods=["POST"])
@transactional
def logout() -> ResponseReturnValue:
    """End the session at once, and let the browser forget the pass it kept for offline use."""
    token = session.get(TOKEN_KEY)
    if isinstance(token, str):
        end_session(get_session(), token, now=clock.now(), actor=actor())
    for key in (TOKEN_KEY, PERSON_KEY, CONTACT_KEY):
        session.pop(key, None)
    flash(_("U bent uitgelogd."))
    response = redirect(url_for("holder.login"), 303)
    # The phone keeps the pass page, its key and its credential for offline use: gone now.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@blp.route("", endpoint="overview")
@transactional
@holder_required
def overview_page() -> ResponseReturnValue:
    """The holder's passes, what is left on each budget, warnings and the year's savings."""
    holder = current_holder()
    assert holder is not None  # noqa: S101 - holder_required let us in
    today = clock.today()
    db = get_session()
    household, people = visible_people(db, holder, today)
    found = overview.entitlements(db, people, household, today=today)
    return render_template(
        "holder/overview.html",
        holder=holder,
        people=people,
        passes=household_passes(db, people),
        entitlements=found,
        warnings=overview.expiry_warnings(found, today=today),
        saved=overview.saved_this_year(db, people, household, today=today),
        household_grants=[e for e in found if e.person is None],
        can_renew=household is not None,
    )


@blp.route("/geschiedenis")
@transactional
@holder_required
def history() -> ResponseReturnValue:
    holder = current_holder()
    assert holder is not None  # noqa: S101
    db = get_session()
    household, people = visible_people(db, holder, clock.today())
    lines = overview.history(db, people, household)
    return render_template("holder/history.html", holder=holder, lines=lines)


@blp.route("/waar")
@transactional
@holder_required
def where() -> ResponseReturnValue:
    holder = current_holder()
    assert holder is not None  # noqa: S101
    today = clock.today()
    db = get_session()
    household, people = visible_people(db, holder, today)
    found = overview.entitlements(db, people, household, today=today)
    schemes = overview.offers(db, found, today=today)
    return render_template(
        "holder/where.html",
        schemes=schemes,
        places=agreements.locations_for_schemes(db, [s.id for s in schemes], today),
        partner_offers=current_offers(db, today),
    )


def household_passes(session: Session, people: Sequence[Person]) -> list[Pass]:
    """The passes of these people, in the order of ``people``, newest generation first."""
    order = {p.id: n for n, p in enumerate(people)}
    passes = session.scalars(
        select(Pass)
        .where(Pass.person_id.in_(list(order)))
        .order_by(Pass.generation.desc(), Pass.id.desc())
    ).all()
    return sorted(passes, key=lambda p: order[p.person_id])
