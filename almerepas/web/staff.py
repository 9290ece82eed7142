"""Staff pages: log in and out, the landing page, the audit log. Plain HTML, no JavaScript.

A page session is a server-side token (the same kind as an API token) kept in the signed
session cookie, so logging out or revoking it ends the session at once. Every form carries a
CSRF token (Flask-WTF); the JSON API is exempt because it reads only bearer tokens.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
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
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError  # type: ignore[import-untyped]

from almerepas.audit import log as audit
from almerepas.audit import values as audit_values
from almerepas.core import clock
from almerepas.core.paging import paginate
from almerepas.core.session import get_session, transactional
from almerepas.http.errors import CsrfFailed
from almerepas.http.extensions import csrf
from almerepas.http.guard import (
    SESSION_TOKEN_KEY,
    attempt_login,
    current_actor,
    current_staff,
    require_role,
    safe_next,
)
from almerepas.http.i18n import translate
from almerepas.http.problems import handle_domain_error
from almerepas.staff.errors import AccountLocked, LocalLoginDisabled, NotAuthenticated
from almerepas.staff.models import Role, StaffUser
from almerepas.staff.permissions import ROLE_LABELS, SIGNED_IN, allowed
from almerepas.staff.tokens import issue_token, log_out, revoke_token
from almerepas.web.forms import Errors, is_plain, page_number, parse_day

blp = Blueprint("staff", __name__)

#: The staff menu in the header of every staff page: (endpoint, label, permission). A link
#: shows only to roles that have the permission. Add yours here.
STAFF_LINKS: list[tuple[str, Any, str]] = [
    ("caseworker.search", _l("Een huishouden zoeken"), "households.read"),
    ("caseworker.new_household", _l("Een huishouden inschrijven"), "households.write"),
    ("application_queue.queue", _l("Aanvragen beoordelen"), "applications.read"),
    ("reimbursement_queue.queue", _l("Declaraties beoordelen"), "applications.read"),
    ("outreach_pages.page", _l("Bereik: herinneringen"), "outreach.read"),
    ("staff.audit_log", _l("Auditlog bekijken"), "audit.read"),
    ("grant_runs_pages.page", _l("Toekenningen bekijken en uitvoeren"), "grants.preview"),
    ("policy_pages.page", _l("Keuzes van de gemeente bekijken"), "policy.read"),
    ("partner_pages.list_partners", _l("Partners en contracten bekijken"), "partners.read"),
    ("finance_pages.list_runs", _l("Afrekeningen"), "settlements.read"),
    ("report_pages.page", _l("Cijfers: bereik en besteding"), "reports.read"),
    ("signal_pages.page", _l("Signalen: opvallende patronen"), "signals.read"),
    ("staff_admin.list_accounts", _l("Accounts van medewerkers"), "staff.manage"),
]

AUDIT_PAGE_SIZE = 50
CODE = re.compile(r"[0-9]{6}")


def init_app(app: Flask) -> None:
    """CSRF for every page form (not the API), its refusal as a clear page, and the blueprint."""
    csrf.init_app(app)
    app.before_request(_protect_forms)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_blueprint(blp)
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["staff_menu"] = staff_menu


def _protect_forms() -> None:
    if current_app.config.get("WTF_CSRF_ENABLED", True) and not request.path.startswith("/api/"):
        csrf.protect()


def _csrf_failed(_error: CSRFError) -> Response:
    return handle_domain_error(CsrfFailed())


def role_label(role: Role | str | None) -> str:
    """The Dutch (or translated) name of a role, for pages."""
    try:
        return translate(ROLE_LABELS[Role(role)]) if role else ""
    except ValueError:
        return str(role)


def staff_menu() -> dict[str, Any] | None:
    """The header of every staff page: who is logged in and the links their role may follow."""
    user = current_staff()
    if user is None:
        return None
    links = [(url_for("staff.home"), _("Start"), request.endpoint == "staff.home")]
    links += [
        (url_for(endpoint), label, request.endpoint == endpoint)
        for endpoint, label, permission in STAFF_LINKS
        if allowed(user.role, permission)
    ]
    return {"user": user, "links": links}


# -- logging in and out ---------------------------------------------------------------------------


@blp.route("/inloggen", methods=["GET", "POST"])
@transactional
def login() -> ResponseReturnValue:
    """One form: username, password and the 6-digit code; errors keep what was typed."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_staff() is not None:
            return redirect(next_url or url_for("staff.home"), 303)
        return _login_page({}, [], next_url)
    if not current_app.config["LOCAL_STAFF_LOGIN"]:
        refusal = LocalLoginDisabled()
        return _login_page({}, [("username", translate(refusal.title))], next_url, status=403)

    form = {
        "username": request.form.get("username", "").strip(),
        "code": request.form.get("code", "").replace(" ", ""),
    }
    password = request.form.get("password", "")
    errors: Errors = []
    if not form["username"]:
        errors.append(("username", _("Vul uw gebruikersnaam in.")))
    if not password:
        errors.append(("password", _("Vul uw wachtwoord in.")))
    if not CODE.fullmatch(form["code"]):
        errors.append(("code", _("Vul de code van 6 cijfers uit uw app in, bijvoorbeeld 123456.")))
    if errors:
        return _login_page(form, errors, next_url, status=400)

    refused = [
        ("username", _("Inloggen lukt niet. Controleer uw gebruikersnaam, wachtwoord en code."))
    ]
    if not is_plain(form["username"], 80):
        return _login_page(form, refused, next_url, status=401)
    try:
        user_id = attempt_login(form["username"], password, form["code"])
    except AccountLocked as exc:
        return _login_page(form, [("username", translate(exc.title))], next_url, status=401)
    except NotAuthenticated:
        return _login_page(form, refused, next_url, status=401)
    db = get_session()
    user = db.get_one(StaffUser, user_id)

    previous = session.get(SESSION_TOKEN_KEY)
    if isinstance(previous, str):
        revoke_token(db, previous)  # logging in again ends the session it replaces
    token = issue_token(db, user)
    session.clear()  # a new session at login: nothing from before survives (session fixation)
    session.permanent = True
    session[SESSION_TOKEN_KEY] = token
    return redirect(next_url or url_for("staff.home"), 303)


def _login_page(
    form: dict[str, str], errors: Errors, next_url: str | None, *, status: int = 200
) -> tuple[str, int]:
    html = render_template(
        "staff/login.html",
        form=form,
        errors=errors,
        field_errors=dict(errors),
        next_url=next_url,
        sso_enabled=bool(current_app.config["STAFF_OIDC_ISSUER"]),
        local_login=current_app.config["LOCAL_STAFF_LOGIN"],
    )
    return html, status


@blp.route("/uitloggen", methods=["POST"])
@transactional
def logout() -> ResponseReturnValue:
    """End the session: the token is revoked, so a copied cookie no longer works either."""
    token = session.get(SESSION_TOKEN_KEY)
    if isinstance(token, str):
        log_out(get_session(), token, actor=current_actor())
    session.clear()
    flash(_("U bent uitgelogd."))
    return redirect(url_for("staff.login"), 303)


# -- the landing page ---------------------------------------------------------------------------


@blp.route("/medewerkers")
@require_role(SIGNED_IN)
def home() -> str:
    """The start page: the staff header on it has who is logged in and the role's menu."""
    return render_template("staff/home.html")


# -- the audit log ------------------------------------------------------------------------------


class ErasedText(str):
    """Stands in for a personal value that erasure deleted: its own type, so the page can tell
    it from a value that happens to read "(gewist)", and text, so it is JSON where nested."""


AUDIT_TEXT_FILTERS = {"actor": 120, "action": 60, "entityType": 40, "entityId": 40}


@blp.route("/medewerkers/audit")
@require_role("audit.read")
@transactional
def audit_log() -> ResponseReturnValue:
    """The audit log as a table, newest first, with a filter form that works by GET."""
    form = {key: request.args.get(key, "").strip() for key in (*AUDIT_TEXT_FILTERS, "from", "to")}
    errors: Errors = []
    for key, max_length in AUDIT_TEXT_FILTERS.items():
        if not is_plain(form[key], max_length):
            errors.append((key, _("Gebruik hoogstens %(n)s gewone tekens.", n=max_length)))
    since, until = _day(form["from"], errors, "from"), _day(form["to"], errors, "to")
    if until is not None:
        until += dt.timedelta(days=1)  # "to" on the page includes that whole day
    if since is not None and until is not None and until <= since:
        errors.append(("to", _("De datum 'tot en met' moet op of na de datum 'vanaf' liggen.")))

    page = page_number(request.args.get("page", "1"))
    result = None
    changes: dict[int, Any] = {}
    erased = ErasedText(_("(gewist)"))
    if not errors:
        query = audit.events_query(
            actor=form["actor"] or None,
            action=form["action"] or None,
            entity_type=form["entityType"] or None,
            entity_id=form["entityId"] or None,
            since=since,
            until=until,
        )
        db = get_session()
        result = paginate(db, query, page=page, page_size=AUDIT_PAGE_SIZE)
        audit.record_read(
            db,
            actor=current_actor(),
            criteria={
                "actor": form["actor"],
                "action": form["action"],
                "entity_type": form["entityType"],
                "entity_id": form["entityId"],
                "since": since,
                "until": until,
            },
            page=result.page,
            events=[event.id for event in result.items],
        )
        changes = audit_values.changes_of(db, result.items, erased=erased)

    def page_url(number: int) -> str:
        args: dict[str, Any] = {**request.args.to_dict(), "page": number}
        return url_for("staff.audit_log", **args)

    html = render_template(
        "staff/audit.html",
        form=form,
        errors=errors,
        field_errors=dict(errors),
        result=result,
        changes=changes,
        erased=erased,
        page_url=page_url,
    )
    return html, 400 if errors else 200


def _day(value: str, errors: Errors, field: str) -> dt.datetime | None:
    """The start of a local day, typed as a date, in UTC; an error when it is not a date."""
    if not value:
        return None
    try:
        day = parse_day(value)
    except ValueError:
        errors.append((field, _("Vul een datum in als jjjj-mm-dd, bijvoorbeeld 2026-03-15.")))
        return None
    return clock.local_moment(day).astimezone(dt.UTC)
