"""Geld terugvragen: a holder who paid a fee at a club or shop that is not a partner hands in the
receipt, for their own budget or (an applicant or partner) a child's, and follows its status.

The form works without JavaScript; a refusal comes back on the form with the message next to
its field and everything typed kept (the file has to be chosen again: browsers never refill a
file field). A body above the upload limit is refused before the form is read, on the same page.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from almerepas.applications.drafting import parse_date
from almerepas.core import clock
from almerepas.core.money import format_cents, parse_euros
from almerepas.core.session import get_session, transactional
from almerepas.core.text import western_digits
from almerepas.grants.models import Grant
from almerepas.holders.household import visible_people
from almerepas.households.models import Person
from almerepas.http.i18n import translate
from almerepas.reimbursements import declaring
from almerepas.reimbursements.deciding import REJECT_REASONS
from almerepas.reimbursements.errors import DeclarationInvalid, ReceiptUsedBefore
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from almerepas.settlements.models import PaymentStatus, SettlementPayment
from almerepas.settlements.reimbursed import payments_of
from almerepas.web.forms import Errors
from almerepas.web.holder.pages import blp
from almerepas.web.holder.session import actor, current_holder, holder_required
from almerepas.web.holder.words import _, scheme_name

UPLOAD_ENDPOINT = "holder.declare"
FIELDS = ("budget", "paid_to", "amount", "paid_on", "iban", "account_name")


def _scope() -> tuple[Person, list[Person], list[Grant]]:
    """The holder, the people they may act for, and the budgets those people can declare on."""
    holder = current_holder()
    assert holder is not None  # noqa: S101 - holder_required let us in
    household, people = visible_people(get_session(), holder, clock.today())
    budgets = declaring.budgets(get_session(), people, household, today=clock.today())
    return holder, people, budgets


def _budget_label(grant: Grant) -> str:
    """ "Stadsfonds van Sami: nog € 255,00" (what waits for a caseworker is not counted)."""
    person = get_session().get(Person, grant.person_id) if grant.person_id else None
    whom = person.given_name if person else _("het gezin")
    return _(
        "%(scheme)s van %(whom)s: nog %(left)s",
        scheme=scheme_name(grant.scheme),
        whom=whom,
        left=format_cents(declaring.room(get_session(), grant)),
    )


def _max_bytes() -> int:
    return int(current_app.config["UPLOAD_MAX_BYTES"])


def _form_page(
    budgets: list[Grant], form: dict[str, str], errors: Errors, status: int
) -> tuple[str, int]:
    html = render_template(
        "holder/declare.html",
        budgets=[(str(g.id), _budget_label(g)) for g in budgets],
        form=form,
        errors=errors,
        field_errors=dict(errors),
        max_mb=_max_bytes() // (1024 * 1024),
    )
    return html, status


@blp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    if request.endpoint != UPLOAD_ENDPOINT or current_holder() is None:
        return error
    message = _(
        "Dit bestand is te groot. Een bestand mag hoogstens %(mb)s MB zijn.",
        mb=_max_bytes() // (1024 * 1024),
    )
    _holder, _visible, budgets = _scope()
    return _form_page(budgets, dict.fromkeys(FIELDS, ""), [("receipt", message)], 413)


@blp.route("/declaraties")
@transactional
@holder_required
def declarations() -> ResponseReturnValue:
    """What was handed in, and where each stands; the way to hand in another."""
    _holder, people, budgets = _scope()
    found = declaring.of_people(get_session(), people)
    payments = payments_of(get_session(), [d.id for d in found])
    return render_template(
        "holder/declarations.html",
        rows=[(d, status_text(d, payments.get(d.id))) for d in found],
        can_declare=bool(budgets),
    )


@blp.route("/declaraties/nieuw", methods=["GET", "POST"])
@transactional
@holder_required
def declare() -> ResponseReturnValue:
    holder, _visible, budgets = _scope()
    if request.method == "GET":
        return _form_page(budgets, dict.fromkeys(FIELDS, ""), [], 200)
    form = {name: request.form.get(name, "").strip()[:200] for name in FIELDS}
    grant = next((g for g in budgets if str(g.id) == form["budget"]), None)
    if grant is None:
        return _form_page(budgets, form, [("budget", _("Kies voor welk tegoed het is."))], 400)
    try:
        amount = parse_euros(western_digits(form["amount"]))
    except ValueError:
        amount = -1
    if amount <= 0:
        message = _("Schrijf het bedrag zoals op het bonnetje, bijvoorbeeld 45,00.")
        return _form_page(budgets, form, [("amount", message)], 400)
    paid_on = parse_date(western_digits(form["paid_on"]))
    if paid_on is None:
        message = _("Schrijf de datum als dag-maand-jaar, bijvoorbeeld 03-09-2026.")
        return _form_page(budgets, form, [("paid_on", message)], 400)
    upload = request.files.get("receipt")
    receipt = declaring.Receipt(
        amount=amount,
        paid_on=paid_on,
        paid_to=form["paid_to"],
        iban=form["iban"],
        account_name=form["account_name"],
        data=upload.read() if upload else b"",
    )
    try:
        declaration = declaring.declare(
            get_session(), grant, receipt, holder=holder,
            max_bytes=_max_bytes(), now=clock.now(), actor=actor(),
        )  # fmt: skip
    except DeclarationInvalid as exc:
        message = translate(exc.message) % exc.values if exc.values else translate(exc.message)
        return _form_page(budgets, form, [(exc.field, message)], 400)
    except ReceiptUsedBefore as exc:
        return _form_page(budgets, form, [("receipt", translate(exc.title))], 409)
    flash(
        _(
            "Wij hebben uw declaratie van %(amount)s ontvangen. Een medewerker kijkt ernaar."
            " U ziet hier wanneer het geld komt.",
            amount=format_cents(declaration.amount),
        )
    )
    return redirect(url_for("holder.declarations"), 303)


def status_text(declaration: Reimbursement, payment: SettlementPayment | None) -> str:
    """Where a declaration stands, in one sentence for the holder."""
    if declaration.status == ReimbursementStatus.submitted:
        return _("Ingediend. Een medewerker kijkt ernaar.")
    if declaration.status == ReimbursementStatus.rejected:
        reason = translate(REJECT_REASONS.get(declaration.reason or "other", ""))
        return _("Afgewezen. %(reason)s", reason=reason)
    if payment is not None and payment.status != PaymentStatus.pending and payment.sent_at:
        return _(
            "Betaald. Het geld is op %(day)s naar uw rekening gestuurd.",
            day=payment.sent_at.astimezone(clock.LOCAL).strftime("%d-%m-%Y"),
        )
    return _("Goedgekeurd. U krijgt het geld binnen een maand op uw rekening.")
