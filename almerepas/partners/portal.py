"""The partner portal: scan a pass at the counter, see the answer in large plain words, redeem.

Pages under /partner for a partner's page session (``require_partner_page``). They call the
same domain operations as the partner JSON API (``redemptions.scan.scan_pass``,
``redemptions.at_partner.redeem_scanned``). Everything works as plain form posts; the page's
script (static/partners/portal.js) reads the QR code with the camera, posts the same forms with
``fetch`` and puts the answer (``X-Portal-Answer: fragment``: the answer alone) in the page.
Without a network the script says so at once and never shows green.

The transactions page and its reversals are in portal_transactions.py.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from almerepas.contracts.models import Location
from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.grants.models import Grant
from almerepas.http.i18n import translate
from almerepas.http.metrics import count_problem, count_redemption
from almerepas.partners.auth import Principal, require_partner_page
from almerepas.partners.errors import IdempotencyKeyReused, LocationRequired
from almerepas.partners.portal_words import _, parse_quantity
from almerepas.redemptions.at_partner import FIELD_FOR_KIND, left_of, redeem_scanned
from almerepas.redemptions.models import IdempotencyRecord, Redemption, Ride, Scan
from almerepas.redemptions.scan import scan_pass
from almerepas.schemes.models import Scheme, SchemeKind

blp = Blueprint("portal", __name__, url_prefix="/partner")

#: The answer alone, for the page's script; a full page otherwise.
FRAGMENT_HEADER = "X-Portal-Answer"
MAX_CODE = 4000
MAX_KEY = 200


def _fragment() -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "fragment"


def locations_of(principal: Principal) -> list[Location]:
    """Where this principal may scan: its device's location, or the partner's active ones."""
    if principal.location is not None:
        return [principal.location]
    return list(
        get_session().scalars(
            select(Location)
            .where(Location.partner_id == principal.partner.id, Location.active.is_(True))
            .order_by(Location.name, Location.id)
        )
    )


def chosen_location(principal: Principal) -> Location:
    """The location of this request: the device's own, or the one the user chose."""
    raw = request.form.get("location_id", "").strip()
    if principal.location is None and not raw:
        raise LocationRequired()
    return principal.location_for(int(raw) if raw.isascii() and raw.isdigit() else None)


def _answer(
    principal: Principal, template: str, status: int, **context: Any
) -> ResponseReturnValue:
    """The answer in the page (a full page), or alone for the page's script."""
    context.setdefault("location_id", request.form.get("location_id", ""))
    if _fragment():
        html = render_template(template, principal=principal, **context)
        return html, status, {FRAGMENT_HEADER: "fragment", "Cache-Control": "no-store"}
    html = render_template(
        "partner/scan.html",
        principal=principal,
        locations=locations_of(principal),
        answer_template=template,
        **context,
    )
    return html, status, {"Cache-Control": "no-store"}


@blp.route("", endpoint="scan_page")
@transactional
@require_partner_page()
def scan_page(principal: Principal) -> ResponseReturnValue:
    """The counter: the camera, or the pass number typed in."""
    return render_template(
        "partner/scan.html",
        principal=principal,
        locations=locations_of(principal),
        answer_template=None,
        location_id="",
    )


@blp.route("/scan", methods=["POST"])
@transactional
@require_partner_page()
def scan(principal: Principal) -> ResponseReturnValue:
    """Check the scanned code or the typed pass number: green with what may be used here,
    or red with the reason in plain words."""
    code = request.form.get("code", "").strip()
    number = request.form.get("pass_number", "").strip()
    if not code and not number:
        refusal = _("Scan de QR-code of vul het pasnummer in.")
        return _answer(principal, "partner/_refused.html", 400, refusal=refusal)
    if len(code) > MAX_CODE or len(number) > 40:
        refusal = _("Deze code is geen %(pass_name)s.")
        return _answer(principal, "partner/_refused.html", 400, refusal=refusal)
    try:
        location = chosen_location(principal)
        outcome = scan_pass(
            get_session(),
            partner=principal.partner,
            location=location,
            device=principal.device,
            code=code or None,
            pass_number=None if code else number,
            now=clock.now(),
            keys=get_keys(),
        )
    except DomainError as exc:
        count_problem(exc.code)
        return _answer(principal, "partner/_refused.html", exc.status, refusal=translate(exc.title))
    return _answer(
        principal,
        "partner/_valid.html",
        200,
        outcome=outcome,
        location=location,
        location_id=str(location.id),
    )


def _request_hash(fields: dict[str, str]) -> str:
    text = json.dumps({"path": request.path, **fields}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _claim(principal: Principal, key: str, fields: dict[str, str]) -> IdempotencyRecord | None:
    """Claim the page's Idempotency-Key before booking, as partners/idempotency.py does for
    the API: a second request with it waits for the first to commit. None: it was used."""
    db = get_session()
    scope, page_key = f"partner:{principal.partner.id}", f"page:{key}"
    query = select(IdempotencyRecord).where(
        IdempotencyRecord.scope == scope, IdempotencyRecord.key == page_key
    )
    if db.scalar(query) is not None:
        return None
    record = IdempotencyRecord(
        scope=scope, key=page_key, request_hash=_request_hash(fields), status=0, body=""
    )
    try:
        with db.begin_nested():
            db.add(record)
    except IntegrityError:
        return None  # another request with this key committed while we looked
    return record


def _kept_answer(principal: Principal, key: str, fields: dict[str, str]) -> Redemption | Ride:
    """What the first request with this Idempotency-Key booked, to show it again."""
    db = get_session()
    record = db.scalars(
        select(IdempotencyRecord)
        .where(
            IdempotencyRecord.scope == f"partner:{principal.partner.id}",
            IdempotencyRecord.key == f"page:{key}",
        )
        .execution_options(populate_existing=True)
    ).one()
    if record.request_hash != _request_hash(fields):
        raise IdempotencyKeyReused()
    kept = json.loads(record.body)
    if kept["type"] == "ride":
        return db.get_one(Ride, kept["id"])
    return db.get_one(Redemption, kept["id"])


@blp.route("/afschrijven", methods=["POST"], endpoint="redeem")
@transactional
@require_partner_page()
def redeem(principal: Principal) -> ResponseReturnValue:
    """Take the amount, the units, the discount on the basket or one ride. The same
    Idempotency-Key again (a double click) shows the first answer and books nothing more."""
    fields = {
        name: request.form.get(name, "").strip()
        for name in ("scan_reference", "scheme", "amount", "location_id")
    }
    key = (request.headers.get("Idempotency-Key") or request.form.get("idempotency_key", ""))[
        :MAX_KEY
    ].strip()
    db = get_session()
    scheme = db.scalar(select(Scheme).where(Scheme.code == fields["scheme"][:40]))
    quantity = 1
    if scheme is not None and scheme.kind != SchemeKind.right:
        try:
            quantity = parse_quantity(scheme.kind, fields["amount"])
        except ValueError:
            refusal = _amount_refusal(scheme.kind)
            return _answer(principal, "partner/_refused.html", 400, refusal=refusal, again=True)
    record = _claim(principal, key, fields) if key else None
    try:
        if key and record is None:
            return _redeemed(principal, _kept_answer(principal, key, fields))
        location = chosen_location(principal)
        booked = redeem_scanned(
            db,
            partner=principal.partner,
            location=location,
            reference=fields["scan_reference"][:40],
            scheme_code=fields["scheme"][:40],
            quantity=quantity,
            # the page's one amount field means what the scheme's kind asks for
            given=FIELD_FOR_KIND.get(scheme.kind) if scheme is not None else None,
            now=clock.now(),
            actor=principal.actor,
        )
    except DomainError as exc:
        count_problem(exc.code)
        if record is not None:  # nothing booked: the next attempt may use the key again
            db.delete(record)
        return _answer(
            principal, "partner/_refused.html", exc.status, refusal=translate(exc.title), again=True
        )
    if record is not None:
        record.status = 201
        record.body = json.dumps(
            {"type": "ride" if isinstance(booked, Ride) else "redemption", "id": booked.id}
        )
        db.flush()
    count_redemption()
    return _redeemed(principal, booked)


def _amount_refusal(kind: SchemeKind) -> str:
    if kind == SchemeKind.quota:
        return _("Vul een heel aantal in, groter dan nul.")
    return _("Vul een bedrag in euro in, groter dan nul. Bijvoorbeeld: 12,50")


def _redeemed(principal: Principal, booked: Redemption | Ride) -> ResponseReturnValue:
    db = get_session()
    grant = db.get_one(Grant, booked.grant_id)
    scan = db.get(Scan, booked.scan_id) if isinstance(booked, Redemption) else None
    return _answer(
        principal,
        "partner/_redeemed.html",
        201,
        booked=booked,
        ride=isinstance(booked, Ride),
        scheme=grant.scheme,
        left=left_of(db, grant),
        location_id=str(scan.location_id if scan else booked.location_id),
    )
