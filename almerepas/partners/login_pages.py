"""The portal's login pages: log in and out as a partner user, pair a counter's browser with a
device ("dit apparaat koppelen") and unpair it. Plain HTML forms with CSRF, no JavaScript.

The page session lives in the signed session cookie (see almerepas.partners.auth): a partner
user's token, and/or the token of the browser's pairing with a device; never a device key.
A logged-in user goes before a paired device, so a manager can log in at a paired counter
and, after logging out, the counter works as the device again.
"""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from almerepas.audit.log import Actor
from almerepas.contracts import logins
from almerepas.contracts.errors import DeviceRevoked, DeviceUnknown
from almerepas.contracts.models import PartnerUser
from almerepas.core import clock
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.core.text import is_plain
from almerepas.http.guard import safe_next
from almerepas.http.i18n import translate
from almerepas.http.problems import request_id
from almerepas.partners.auth import (
    PAGE_DEVICE_SESSION_KEY,
    PAGE_USER_TOKEN_KEY,
    Principal,
    attempt_partner_login,
    current_page_principal,
    page_token,
    require_partner_page,
)
from almerepas.staff.errors import AccountLocked, NotAuthenticated

blp = Blueprint("partner_login", __name__, url_prefix="/partner")

#: Where a login or a pairing leads: the portal's start page (the placeholder below until the
#: portal has its own).
AFTER_LOGIN_ENDPOINT = "partner_login.home"
CODE = re.compile(r"[0-9]{6}")
#: (field, message) pairs, as the staff pages' forms (almerepas.web.forms.Errors)
Errors = list[tuple[str, str]]
MAX_KEY_LENGTH = 200


# -- a partner user logs in and out ---------------------------------------------------------------


@blp.route("/inloggen", methods=["GET", "POST"])
@transactional
def login() -> ResponseReturnValue:
    """Username, password and, for whoever has one, the code from the app."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        principal = current_page_principal()
        if principal is not None and principal.user is not None:
            return redirect(next_url or url_for(AFTER_LOGIN_ENDPOINT), 303)
        return _login_page({}, [], next_url)

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
    if form["code"] and not CODE.fullmatch(form["code"]):
        errors.append(("code", _("De code heeft 6 cijfers, bijvoorbeeld 123456.")))
    if errors:
        return _login_page(form, errors, next_url, status=400)

    refused = [
        ("username", _("Inloggen lukt niet. Controleer uw gebruikersnaam, wachtwoord en code."))
    ]
    if not is_plain(form["username"], 80):
        return _login_page(form, refused, next_url, status=401)
    try:
        user_id = attempt_partner_login(form["username"], password, form["code"] or None)
    except AccountLocked as exc:
        return _login_page(form, [("username", translate(exc.title))], next_url, status=401)
    except NotAuthenticated:
        return _login_page(form, refused, next_url, status=401)
    db, now = get_session(), clock.now()
    user = db.get_one(PartnerUser, user_id)

    previous = page_token(PAGE_USER_TOKEN_KEY)
    before = current_page_principal()  # read only now: the login committed on its own first
    if previous is not None and before is not None and before.user is not None:
        logins.log_out(db, previous, now=now, actor=before.actor)  # the session it replaces
    issued = logins.issue_token(db, user, now=now)
    paired = page_token(PAGE_DEVICE_SESSION_KEY)
    session.clear()  # a new session at login: nothing from before survives but the pairing
    session.permanent = True
    session[PAGE_USER_TOKEN_KEY] = issued.token
    if paired is not None:
        session[PAGE_DEVICE_SESSION_KEY] = paired
    return redirect(next_url or url_for(AFTER_LOGIN_ENDPOINT), 303)


def _login_page(
    form: dict[str, str], errors: Errors, next_url: str | None, *, status: int = 200
) -> tuple[str, int]:
    html = render_template(
        "partner/login.html", form=form, errors=errors, field_errors=dict(errors), next_url=next_url
    )
    return html, status


@blp.route("/uitloggen", methods=["POST"])
@transactional
def logout() -> ResponseReturnValue:
    """End the user's session; a paired counter stays paired and works as the device again."""
    token = page_token(PAGE_USER_TOKEN_KEY)
    principal = current_page_principal()
    if token is not None and principal is not None and principal.user is not None:
        logins.log_out(get_session(), token, now=clock.now(), actor=principal.actor)
    session.pop(PAGE_USER_TOKEN_KEY, None)
    flash(_("U bent uitgelogd."))
    return redirect(url_for("partner_login.login"), 303)


# -- a counter's browser works as a device ------------------------------------------------------


@blp.route("/apparaat-koppelen", methods=["GET", "POST"])
@transactional
def pair() -> ResponseReturnValue:
    """Paste the device's key once; from then on this browser works as that device."""
    if request.method == "GET":
        return _pair_page([])
    key = request.form.get("key", "").strip()
    if not key:
        return _pair_page([("key", _("Vul de sleutel van het apparaat in."))], status=400)
    if len(key) > MAX_KEY_LENGTH or not is_plain(key, MAX_KEY_LENGTH):
        return _pair_page([("key", translate(DeviceUnknown.title))], status=401)
    db, now = get_session(), clock.now()
    try:
        _device, token = logins.pair_device(db, key, now=now, keys=get_keys(), origin=_anonymous())
    except (DeviceUnknown, DeviceRevoked) as exc:
        return _pair_page([("key", translate(exc.title))], status=401)
    previous = page_token(PAGE_DEVICE_SESSION_KEY)
    principal = current_page_principal()
    if previous is not None:  # pairing again ends the pairing it replaces
        logins.unpair_device(db, previous, now=now, actor=_actor(principal))
    session.permanent = True
    session[PAGE_DEVICE_SESSION_KEY] = token
    flash(_("Dit apparaat is gekoppeld."))
    return redirect(url_for(AFTER_LOGIN_ENDPOINT), 303)


def _actor(principal: Principal | None) -> Actor:
    return principal.actor if principal else _anonymous()


def _anonymous() -> Actor:
    return Actor("anonymous", request_id=request_id())


def _pair_page(errors: Errors, *, status: int = 200) -> tuple[str, int]:
    html = render_template("partner/pair.html", errors=errors, field_errors=dict(errors))
    return html, status


@blp.route("/apparaat-ontkoppelen", methods=["POST"])
@transactional
def unpair() -> ResponseReturnValue:
    """This browser stops working as the device (the device and its key go on working)."""
    token = page_token(PAGE_DEVICE_SESSION_KEY)
    if token is not None:
        actor = _actor(current_page_principal())
        logins.unpair_device(get_session(), token, now=clock.now(), actor=actor)
    session.pop(PAGE_DEVICE_SESSION_KEY, None)
    flash(_("Dit apparaat is ontkoppeld."))
    return redirect(url_for("partner_login.login"), 303)


# -- who works here: the partner, the user or the paired device; logging out, unpairing -----------


@blp.route("/")
@require_partner_page()
def home(principal: Principal) -> str:
    """Who works here: the partner, and the logged-in user or the paired device."""
    paired = current_paired_device_name()
    return render_template("partner/home.html", principal=principal, paired=paired)


def current_paired_device_name() -> str | None:
    """The name of the device this browser is paired with, if any (shown beside a user)."""
    token = page_token(PAGE_DEVICE_SESSION_KEY)
    device = logins.device_for_session(get_session(), token, clock.now()) if token else None
    return None if device is None else device.name
