"""Declaraties beoordelen: the caseworker's queue of receipts beside the applications, one screen
each with the receipt, the budget it is taken from and what is left, and the decision.

Approval takes the amount from the budget in this request's commit (reimbursements/deciding.py);
the next settlement run pays it. A refusal of the ledger (too little left, the year is over)
comes back on the same screen and changes nothing.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from almerepas.applications.evidence import EXTENSIONS
from almerepas.audit import log as audit
from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.money import format_cents
from almerepas.core.session import get_session, transactional
from almerepas.households.models import Person
from almerepas.http.guard import current_actor, require_role
from almerepas.http.i18n import translate
from almerepas.reimbursements import deciding, declaring
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from almerepas.web.caseworker import may, no_store, scheme_name

blp = Blueprint("reimbursement_queue", __name__, url_prefix="/medewerkers/declaraties")


blp.after_request(no_store)


def _get(reimbursement_id: int) -> Reimbursement:
    found = get_session().get(Reimbursement, reimbursement_id)
    if found is None:
        abort(404)
    return found


def _viewed(declaration: Reimbursement) -> None:
    audit.record(
        get_session(),
        actor=current_actor(),
        action="reimbursement.view",
        entity_type="reimbursement",
        entity_id=declaration.id,
    )


@blp.route("")
@require_role("applications.read")
@transactional
def queue() -> str:
    """Declarations waiting for a decision, oldest first."""
    waiting = (
        get_session()
        .scalars(
            select(Reimbursement)
            .where(Reimbursement.status == ReimbursementStatus.submitted)
            .order_by(Reimbursement.submitted_at, Reimbursement.id)
        )
        .all()
    )
    return render_template(
        "reimbursements/queue.html", rows=waiting, scheme_name=scheme_name, money=format_cents
    )


def _show(
    declaration: Reimbursement, errors: list[tuple[str, str]], status: int
) -> tuple[str, int]:
    _viewed(declaration)
    session = get_session()
    grant = declaration.grant
    html = render_template(
        "reimbursements/show.html",
        declaration=declaration,
        grant=grant,
        person=session.get(Person, grant.person_id) if grant.person_id else None,
        holder=session.get(Person, declaration.holder_id),
        left=grant.account.balance if grant.account else 0,
        waiting=declaring.waiting(session, grant),
        scheme_name=scheme_name,
        money=format_cents,
        reasons=[(k, translate(v)) for k, v in deciding.REJECT_REASONS.items()],
        reason_text=translate(deciding.REJECT_REASONS.get(declaration.reason or "", "")),
        errors=errors,
        field_errors=dict(errors),
        form=request.form,
        may=may,
        statuses=ReimbursementStatus,
    )
    return html, status


@blp.route("/<int:reimbursement_id>")
@require_role("applications.read")
@transactional
def show(reimbursement_id: int) -> str:
    return _show(_get(reimbursement_id), [], 200)[0]


@blp.route("/<int:reimbursement_id>/bonnetje")
@require_role("applications.read")
@transactional
def receipt(reimbursement_id: int) -> Response:
    """The receipt, as an attachment with its checked type; never shown inline."""
    declaration = _get(reimbursement_id)
    data = declaring.read_receipt(get_session(), declaration)
    _viewed(declaration)
    response = Response(data, mimetype=declaration.content_type)
    name = f"bonnetje-{declaration.id}.{EXTENSIONS[declaration.content_type]}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.route("/<int:reimbursement_id>/besluit", methods=["POST"])
@require_role("applications.decide")
@transactional
def decide(reimbursement_id: int) -> ResponseReturnValue:
    """Approve (the budget pays it), or reject with a reason from the list."""
    declaration = _get(reimbursement_id)
    action = request.form.get("besluit", "")
    session, actor, now = get_session(), current_actor(), clock.now()
    if action == "approve":
        try:
            deciding.approve(session, declaration.id, actor=actor, now=now)
        except DomainError as refused:
            session.rollback()
            return _show(_get(reimbursement_id), [("besluit", translate(refused.title))], 409)
        flash(_("De declaratie is goedgekeurd. Het geld gaat mee met de volgende afrekening."))
    elif action == "reject":
        reason = request.form.get("reason", "")
        note = request.form.get("note", "").strip()
        if reason not in deciding.REJECT_REASONS:
            return _show(declaration, [("reason", _("Kies een reden."))], 400)
        if reason == "other" and not note:
            return _show(declaration, [("note", _("Schrijf de reden in de toelichting."))], 400)
        try:
            deciding.reject(session, declaration.id, reason=reason, note=note, actor=actor,
                            now=now)  # fmt: skip
        except DomainError as refused:
            return _show(declaration, [("besluit", translate(refused.title))], 409)
        flash(_("De declaratie is afgewezen."))
    else:
        return _show(declaration, [("besluit", _("Kies een besluit."))], 400)
    return redirect(url_for("reimbursement_queue.queue"), 303)
