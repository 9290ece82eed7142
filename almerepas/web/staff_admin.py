"""Staff accounts as pages for the administrator (``staff.manage``): the list, a new account,
and per account a role, off and on, a new second factor and lifting a lock.

They do what the API in almerepas.api.staff_users does, for people: plain HTML, a question
before each change, the same domain operations (almerepas.staff.admin), which check each change
and write its audit row. A new password or TOTP secret is on the page that answers the POST,
once; pages are sent with ``no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from almerepas.core import clock
from almerepas.core.errors import DomainError, NotFound
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.http.guard import current_actor, current_staff, require_role
from almerepas.http.i18n import translate
from almerepas.staff import admin
from almerepas.staff.accounts import create_staff_user, provisioning_uri
from almerepas.staff.errors import (
    InvalidStaffUser,
    LastAdministrator,
    OwnAccountDisable,
    OwnRoleChange,
    UsernameTaken,
)
from almerepas.staff.models import Role, StaffUser
from almerepas.staff.permissions import ROLE_LABELS
from almerepas.web.forms import Form, attempt
from almerepas.web.partner_admin_keys import qr_svg

blp = Blueprint("staff_admin", __name__, url_prefix="/medewerkers/beheer/accounts")

NEW_FIELDS = ("username", "display_name", "email", "role")
#: The refusals a change can meet: shown on the account's page, nothing is saved.
REFUSED = (OwnRoleChange, OwnAccountDisable, LastAdministrator, InvalidStaffUser)

#: action in the URL -> (question, what happens, button)
ACTIONS: dict[str, tuple[Any, Any, Any]] = {
    "uitzetten": (
        _l("Account uitzetten?"),
        _l("Deze medewerker kan dan niet meer inloggen. Wie nu is ingelogd, wordt meteen "
           "uitgelogd. U kunt het account later weer aanzetten."),
        _l("Ja, zet het account uit"),
    ),
    "aanzetten": (
        _l("Account weer aanzetten?"),
        _l("Deze medewerker kan dan weer inloggen met het eigen wachtwoord en de eigen app."),
        _l("Ja, zet het account aan"),
    ),
    "tweede-factor": (
        _l("Nieuwe tweede factor geven?"),
        _l("Doe dit als de medewerker de telefoon met de app kwijt is. De codes uit de oude app "
           "werken dan niet meer en de medewerker wordt uitgelogd. U krijgt één keer een nieuwe "
           "sleutel te zien. Geef die aan de medewerker."),
        _l("Ja, geef een nieuwe tweede factor"),
    ),
    "deblokkeren": (
        _l("Blokkade opheffen?"),
        _l("Na 5 keer mislukt inloggen is een account 15 minuten geblokkeerd. Als u de blokkade "
           "opheft, kan de medewerker meteen weer proberen in te loggen."),
        _l("Ja, hef de blokkade op"),
    ),
}  # fmt: skip


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


@blp.after_request
def _no_store(response: Response) -> Response:
    """A first password or a TOTP secret must not stay behind in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.context_processor
def _helpers() -> dict[str, Any]:
    return {"is_locked": lambda user: admin.is_locked(user, clock.now())}


def _roles() -> list[tuple[str, str]]:
    return [(role.value, translate(label)) for role, label in ROLE_LABELS.items()]


@blp.route("")
@require_role("staff.manage")
@transactional
def list_accounts() -> str:
    """Every account by username, with its role and whether it is on or blocked."""
    return render_template("staff_admin/list.html", users=admin.list_staff_users(get_session()))


@blp.route("/nieuw", methods=["GET", "POST"])
@require_role("staff.manage")
@transactional
def new_account() -> ResponseReturnValue:
    """A new account; its first password and second factor are shown once, on the next page."""
    form = Form(NEW_FIELDS)
    context = {"roles": _roles()}
    if request.method == "GET":
        return form.render("staff_admin/new.html", 200, **context)
    username = form.text("username", 80, _("Vul een gebruikersnaam in."))
    display_name = form.text("display_name", 200, _("Vul de naam van de medewerker in."))
    email = form.text("email", 254, None) or None
    role = form.values["role"]
    if role not in {r.value for r in Role}:
        form.error("role", _("Kies een rol."))
    password = admin.initial_password()
    made = None
    if not form.errors:
        made = attempt(
            form,
            lambda: create_staff_user(
                get_session(),
                username=username,
                display_name=display_name,
                role=role,
                email=email,
                password=password,
                keys=get_keys(),
                actor=current_actor(),
            ),
            {
                UsernameTaken: ("username", _("Deze gebruikersnaam bestaat al. Kies een andere.")),
                InvalidStaffUser: lambda e: [("username", translate(str(e.detail)))],
            },
        )
    if made is None:
        return form.render("staff_admin/new.html", 400, **context)
    user, secret = made
    return _secret_page(user, secret, password=password)


def _secret_page(user: StaffUser, secret: str, *, password: str | None = None) -> str:
    uri = provisioning_uri(secret, user.username)
    qr = qr_svg(uri, _("QR-code om in de app te scannen"))
    return render_template(
        "staff_admin/secret.html", user=user, secret=secret, uri=uri, qr=qr, password=password
    )


@blp.route("/<int:user_id>")
@require_role("staff.manage")
@transactional
def account(user_id: int) -> str:
    """One account: its facts and what the administrator can do with it."""
    user = admin.get_staff_user(get_session(), user_id)
    return render_template("staff_admin/account.html", user=user, roles=_roles(), errors=[])


def _refused(user: StaffUser, refusal: DomainError) -> tuple[str, int]:
    """The account's page again, with why nothing was changed."""
    get_session().rollback()
    user = admin.get_staff_user(get_session(), user.id)
    message = translate(str(refusal.detail))
    html = render_template(
        "staff_admin/account.html", user=user, roles=_roles(), errors=[("actions", message)]
    )
    return html, refusal.status


def _do(user: StaffUser, work: Callable[[], None], done: str) -> ResponseReturnValue:
    try:
        work()
    except REFUSED as refusal:
        return _refused(user, refusal)
    flash(done)
    return redirect(url_for("staff_admin.account", user_id=user.id), 303)


@blp.route("/<int:user_id>/rol", methods=["POST"])
@require_role("staff.manage")
@transactional
def change_role(user_id: int) -> ResponseReturnValue:
    """Another role for the account (the form on the account's page is the question)."""
    session = get_session()
    user = admin.get_staff_user(session, user_id)
    role = request.form.get("role", "")
    return _do(
        user,
        lambda: admin.change_role(session, user, role, by=current_staff(), actor=current_actor()),
        _("De rol van %(name)s is gewijzigd.", name=user.username),
    )


@blp.route("/<int:user_id>/<action>", methods=["GET", "POST"])
@require_role("staff.manage")
@transactional
def act(user_id: int, action: str) -> ResponseReturnValue:
    """Ask first (GET); the confirmed POST makes the change."""
    if action not in ACTIONS:
        raise NotFound()
    session = get_session()
    user = admin.get_staff_user(session, user_id)
    if request.method == "GET":
        question, explanation, button = ACTIONS[action]
        return render_template(
            "staff_admin/confirm.html",
            user=user,
            action=action,
            question=question,
            explanation=explanation,
            button=button,
        )
    actor, by = current_actor(), current_staff()
    if action == "tweede-factor":
        secret = admin.reset_second_factor(session, user, keys=get_keys(), actor=actor)
        return _secret_page(user, secret)
    if action == "uitzetten":
        return _do(
            user,
            lambda: admin.disable_staff_user(session, user, by=by, actor=actor),
            _("Het account van %(name)s staat uit.", name=user.username),
        )
    if action == "aanzetten":
        return _do(
            user,
            lambda: admin.enable_staff_user(session, user, actor=actor),
            _("Het account van %(name)s staat weer aan.", name=user.username),
        )
    return _do(
        user,
        lambda: admin.unlock_staff_user(session, user, actor=actor),
        _("De blokkade van %(name)s is opgeheven.", name=user.username),
    )
