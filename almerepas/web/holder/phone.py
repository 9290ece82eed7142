"""The phone pass: the page with the rotating QR code, the credential it asks for, and what
makes it work offline (a service worker and a manifest, served from /mijn so their scope
covers the holder's pages).

The browser makes a P-256 key that cannot leave it (WebCrypto, kept in IndexedDB) and sends
its public half here; the server binds it into a credential for a few days
(almerepas.passes.credentials.issue_phone_credential); every 30 seconds the page signs the
time step with that key and shows ``credential~step~signature`` (docs/credentials.md).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf  # type: ignore[import-untyped]
from sqlalchemy import select

from almerepas.core import clock
from almerepas.core.errors import NotFound, ValidationFailed
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.holders.household import visible_people
from almerepas.households.models import Person
from almerepas.passes import credentials
from almerepas.passes.models import Pass, PassStatus
from almerepas.web.holder.pages import blp
from almerepas.web.holder.session import current_holder, holder_required

STATIC = Path(__file__).resolve().parents[3] / "static" / "holder"
#: A P-256 coordinate: 32 bytes, base64url without padding.
COORDINATE = re.compile(r"[A-Za-z0-9_-]{43}")
NUMBER = re.compile(r"[0-9]{1,20}")


def visible_pass(number: str) -> Pass:
    """The pass with this number, if the logged-in holder may see it; otherwise 404."""
    holder = current_holder()
    if holder is None or not NUMBER.fullmatch(number):
        raise NotFound()
    _household, people = visible_people(get_session(), holder, clock.today())
    found = (
        get_session()
        .scalars(
            select(Pass).where(Pass.number == number, Pass.person_id.in_([p.id for p in people]))
        )
        .one_or_none()
    )
    if found is None:
        raise NotFound()
    return found


@blp.route("/passen/<number>")
@transactional
@holder_required
def pass_page(number: str) -> ResponseReturnValue:
    """The QR page. Works without a network once the service worker has kept it."""
    found = visible_pass(number)
    person = get_session().get_one(Person, found.person_id)
    return render_template("holder/pass.html", pass_=found, person=person)


def device_key(body: Any) -> dict[str, str]:
    """The browser's public key as a P-256 JWK with only kty, crv, x and y; anything else 400."""
    key = body.get("device_key") if isinstance(body, dict) else None
    if (
        not isinstance(key, dict)
        or key.get("kty") != "EC"
        or key.get("crv") != "P-256"
        or not all(isinstance(key.get(c), str) and COORDINATE.fullmatch(key[c]) for c in "xy")
    ):
        raise ValidationFailed(
            errors=[{"field": "device_key", "in": "json", "detail": "P-256 JWK: kty, crv, x, y"}]
        )
    return {"kty": "EC", "crv": "P-256", "x": key["x"], "y": key["y"]}


@blp.route("/passen/<number>/credential", methods=["POST"])
@transactional
def credential(number: str) -> ResponseReturnValue:
    """A fresh phone credential bound to the browser's key: {token, expires_at, refresh_after}."""
    if current_holder() is None:
        abort(401)
    found = visible_pass(number)
    if found.status != PassStatus.active:
        raise NotFound()
    issued = credentials.issue_phone_credential(
        get_session(),
        found,
        device_key(request.get_json(silent=True)),
        keys=get_keys(),
        now=clock.now(),
    )
    response = jsonify(
        token=issued.token,
        expires_at=issued.expires_at.isoformat(),
        refresh_after=issued.refresh_after.isoformat(),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/csrf", endpoint="csrf")
@transactional
def csrf_token() -> ResponseReturnValue:
    """A fresh CSRF token for the pass page's script: its cached copy may hold an old one."""
    if current_holder() is None:
        abort(401)
    response = jsonify(token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/sw.js")
def service_worker() -> Response:
    """static/holder/sw.js, served from /mijn/ so that its scope is /mijn/."""
    response = current_app.response_class(
        (STATIC / "sw.js").read_text(encoding="utf-8"), mimetype="text/javascript"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.route("/manifest.webmanifest")
def manifest() -> Response:
    response = current_app.response_class(
        render_template("holder/manifest.webmanifest"), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
