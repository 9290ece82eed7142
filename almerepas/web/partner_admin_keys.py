"""Partner pages that hand out a secret: a partner user (a manager's second factor) and a
device (its key). Administrators only (``partners.write``).

The secret is on the page that answers the POST, once, with a warning that it will never be
shown again: the database keeps only the encrypted TOTP secret and the keyed hash of the device
key, and no page, list or audit row shows either. The page is sent with ``no-store``.
"""

from __future__ import annotations

import re

import qrcode
import qrcode.image.svg
from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from almerepas.contracts import devices, partners, users
from almerepas.contracts.models import PartnerRole
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.http.guard import current_actor, require_role
from almerepas.staff.accounts import provisioning_uri
from almerepas.staff.errors import WeakPassword
from almerepas.web.forms import Form, attempt
from almerepas.web.partner_admin import PARTNER_ROLE_LABELS, blp
from almerepas.web.partner_admin_forms import active_locations, choice, refusals

USER_FIELDS = ("username", "display_name", "role", "password", "second_factor")
DEVICE_FIELDS = ("name", "location_id")


def qr_svg(text: str, label: str) -> Markup:
    """``text`` as a QR code in inline SVG (no script, no image request), for a phone to scan."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=4)
    svg = re.sub(r'width="[^"]*" height="[^"]*"', 'width="60mm" height="60mm"',
                 image.to_string(encoding="unicode"), count=1)  # fmt: skip
    head = Markup('<svg role="img" aria-label="{}" ').format(label)
    # qrcode writes only path data: neither the text nor anything typed is in it
    return head + Markup(svg.removeprefix("<svg "))  # noqa: S704


# -- a partner user -----------------------------------------------------------------------------


@blp.route("/<int:partner_id>/gebruikers/nieuw", methods=["GET", "POST"])
@require_role("partners.write")
@transactional
def new_user(partner_id: int) -> ResponseReturnValue:
    """An account for the partner's own staff; a manager's second factor is shown once."""
    partner = partners.get_partner(get_session(), partner_id)
    form = Form(USER_FIELDS)
    form.values.pop("password")  # never sent back
    context = {"partner": partner, "roles": list(PARTNER_ROLE_LABELS.items())}
    if request.method == "GET":
        return form.render("partner_admin/user_form.html", 200, **context)
    password = request.form.get("password", "")
    data = {
        "username": form.text("username", 80, _("Vul een gebruikersnaam in.")),
        "display_name": form.text("display_name", 200, _("Vul de naam van de gebruiker in.")),
        "role": choice(form, "role", PartnerRole, _("Kies een rol.")),
        "password": password,
        "second_factor": form.values["second_factor"] == "ja",
    }
    weak = _("Kies een wachtwoord van minstens 12 tekens.")
    if not password:
        form.error("password", weak)
    made = None
    if not form.errors:
        made = attempt(
            form,
            lambda: users.create_partner_user(
                get_session(), partner, data, keys=get_keys(), actor=current_actor()
            ),
            refusals(form, "username", {WeakPassword: ("password", weak)}),
        )
    if made is None:
        return form.render("partner_admin/user_form.html", 400, **context)
    user, secret = made
    uri = None if secret is None else provisioning_uri(secret, user.username)
    qr = None if uri is None else qr_svg(uri, _("QR-code om in de app te scannen"))
    return form.render(
        "partner_admin/user_made.html",
        200,
        partner=partner,
        user=user,
        secret=secret,
        uri=uri,
        qr=qr,
    )


# -- a device -----------------------------------------------------------------------------------


@blp.route("/<int:partner_id>/apparaten/nieuw", methods=["GET", "POST"])
@require_role("partners.write")
@transactional
def new_device(partner_id: int) -> ResponseReturnValue:
    """A counter device or validator at a location; its key is shown on the next page only."""
    partner = partners.get_partner(get_session(), partner_id)
    locations = active_locations(partner)
    form = Form(DEVICE_FIELDS)
    options = [(str(loc.id), loc.name) for loc in locations]
    context = {"partner": partner, "locations": options}
    if request.method == "GET":
        return form.render("partner_admin/device_form.html", 200, **context)
    name = form.text("name", 200, _("Vul een naam in voor het apparaat, zoals Kassa 1."))
    where = choice(form, "location_id", [key for key, _label in options],
                   _("Kies de locatie van het apparaat."))  # fmt: skip
    made = None
    if not form.errors:
        made = attempt(
            form,
            lambda: devices.create_device(
                get_session(),
                partner,
                {"name": name, "location_id": int(where)},
                keys=get_keys(),
                actor=current_actor(),
            ),
            refusals(form, "name"),
        )
    if made is None:
        return form.render("partner_admin/device_form.html", 400, **context)
    device, key = made
    return form.render(
        "partner_admin/device_key.html", 200, partner=partner, device=device, key=key
    )
