"""Single sign-on pages: "Inloggen via de gemeente" for staff, "Inloggen met DigiD" for residents.

Each has a start (a redirect to the provider) and a callback. The callback talks to the
provider first (almerepas.http.sso.finish), then uses the database: the login, or the refusal
in the audit log, committed with the page that says what went wrong (docs/login.md).
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.oidc import SsoNotConfigured
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.holders import sso as holder_sso
from almerepas.holders.errors import NoPassForBsn
from almerepas.holders.sessions import end_session, open_session
from almerepas.http import sso
from almerepas.http.guard import SESSION_TOKEN_KEY, safe_next
from almerepas.http.i18n import translate
from almerepas.http.problems import request_id
from almerepas.staff import sso as staff_sso
from almerepas.staff.tokens import issue_token, revoke_token
from almerepas.web.holder.session import CONTACT_KEY, PERSON_KEY, TOKEN_KEY

blp = Blueprint("sso", __name__)

#: Where to go after the provider: kept in the session while the person is away.
NEXT_KEY = "sso_next"


def _callback_url(endpoint: str) -> str:
    """Our callback as the provider knows it: under the public URL, not the Host header."""
    return str(current_app.config["PUBLIC_URL"]) + url_for(endpoint)


def _anonymous() -> Actor:
    return Actor("anonymous", request_id=request_id())


# -- staff ----------------------------------------------------------------------------------------


@blp.route("/inloggen/gemeente")
def staff_start() -> ResponseReturnValue:
    """Off to the gemeente's identity provider; back at staff_callback."""
    next_url = safe_next(request.args.get("next"))
    session[NEXT_KEY] = next_url or url_for("staff.home")
    return sso.start("staff", _callback_url("sso.staff_callback"))


@blp.route("/inloggen/gemeente/terug")
@transactional
def staff_callback() -> ResponseReturnValue:
    """The provider's answer: a staff session like the password login's, or a refusal page."""
    origin = _anonymous()
    try:
        claims = sso.finish("staff")
    except SsoNotConfigured:
        raise
    except DomainError as exc:
        staff_sso.record_refusal(get_session(), exc.code, origin=origin)
        return _refused("staff/sso_refused.html", exc)
    db = get_session()
    try:
        user = staff_sso.sso_login(
            db,
            claims,
            role_claim=current_app.config["STAFF_OIDC_ROLE_CLAIM"],
            role_map=current_app.extensions["almerepas.role_map"],
            origin=origin,
        )
    except DomainError as exc:
        return _refused("staff/sso_refused.html", exc)
    next_url = safe_next(session.get(NEXT_KEY)) or url_for("staff.home")
    previous = session.get(SESSION_TOKEN_KEY)
    if isinstance(previous, str):
        revoke_token(db, previous)  # logging in again ends the session it replaces
    token = issue_token(db, user)
    session.clear()  # a new session at login: nothing from before survives (session fixation)
    session.permanent = True
    session[SESSION_TOKEN_KEY] = token
    return redirect(next_url, 303)


def _refused(template: str, exc: DomainError) -> tuple[str, int]:
    html = render_template(template, message=translate(exc.title), code=exc.code)
    return html, exc.status


# -- residents ------------------------------------------------------------------------------------


@blp.route("/mijn/inloggen/digid")
def resident_start() -> ResponseReturnValue:
    """Off to the DigiD broker; back at resident_callback."""
    target = safe_next(request.args.get("next"))
    session[NEXT_KEY] = target if target and target.startswith("/mijn") else None
    return sso.start("resident", _callback_url("sso.resident_callback"))


@blp.route("/mijn/inloggen/digid/terug")
@transactional
def resident_callback() -> ResponseReturnValue:
    """The broker's answer: the holder session a code gives, the no-pass page, or a refusal."""
    origin = _anonymous()
    db = get_session()
    try:
        claims = sso.finish("resident")
        bsn = holder_sso.bsn_from_claims(
            claims,
            current_app.config["RESIDENT_OIDC_BSN_CLAIM"],
            current_app.config["RESIDENT_OIDC_BSN_PREFIX"],
        )
    except SsoNotConfigured:
        raise
    except DomainError as exc:
        holder_sso.record_refusal(db, exc.code, origin=origin)
        return _refused("holder/sso_refused.html", exc)
    now = clock.now()
    try:
        person = holder_sso.bsn_login(db, bsn, keys=get_keys(), now=now, origin=origin)
    except NoPassForBsn as exc:
        return render_template("holder/no_pass.html", code=exc.code), exc.status
    next_url = session.get(NEXT_KEY)
    previous = session.get(TOKEN_KEY)
    if isinstance(previous, str):
        end_session(db, previous, now=now, actor=origin)
    for key in (TOKEN_KEY, PERSON_KEY, CONTACT_KEY, NEXT_KEY, "csrf_token"):
        session.pop(key, None)  # nothing planted before the login survives it
    session[TOKEN_KEY] = open_session(db, person, now=now)
    session[PERSON_KEY] = person.id
    target = safe_next(next_url) if isinstance(next_url, str) else None
    return redirect(target or url_for("holder.overview"), 303)
