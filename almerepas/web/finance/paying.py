"""Paying an approved run from its page: make the SEPA file and download the stored bytes, pay
the Stripe partners one transfer at a time, and confirm once the bank statement shows it."""

from __future__ import annotations

from flask import Response, flash
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Partner
from almerepas.core import clock
from almerepas.core.errors import DomainError, NotFound
from almerepas.core.session import get_session, run_unit_of_work, transactional
from almerepas.http import payouts
from almerepas.http.guard import current_actor, require_role
from almerepas.settlements import paying, runs
from almerepas.settlements.calendar import next_execution_date
from almerepas.settlements.models import PayoutFile
from almerepas.web.finance.runs import back_to, blp, refused
from almerepas.web.finance.words import payout_failure


@blp.route("/<int:run_id>/sepa", methods=["POST"])
@require_role("settlements.write")
@transactional
def make_sepa_file(run_id: int) -> ResponseReturnValue:
    """Make the pain.001 file once (its payments count as sent); after that it is stored."""
    try:
        made = paying.sepa_file(
            get_session(),
            run_id,
            debtor=payouts.debtor(),
            schema=payouts.sepa_schema(),
            execution_date=next_execution_date(clock.today()),
            actor=current_actor(),
            now=clock.now(),
        )
    except DomainError as exc:
        result: ResponseReturnValue = refused(run_id, exc)
        return result
    if made is None:
        flash(_("In deze afrekening wordt niemand via SEPA betaald."))
    else:
        flash(_("Het SEPA-bestand is gemaakt. Download het en lever het aan bij de bank."))
    return back_to(run_id)


@blp.route("/<int:run_id>/sepa.xml")
@require_role("settlements.read")
@transactional
def download_sepa_file(run_id: int) -> ResponseReturnValue:
    """The stored pain.001 bytes, exactly as made: never a rebuilt file."""
    session = get_session()
    run = runs.get_run(session, run_id)
    stored = session.scalar(select(PayoutFile).where(PayoutFile.run_id == run.id))
    if stored is None:
        raise NotFound(detail="Voor deze afrekening is nog geen SEPA-bestand gemaakt.")
    response = Response(bytes(stored.content), mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{stored.msg_id}.xml"'
    return response


@blp.route("/<int:run_id>/stripe", methods=["POST"])
@require_role("settlements.write")
def pay_by_stripe(run_id: int) -> ResponseReturnValue:
    """Pay the Stripe partners; each transfer is booked in its own transaction, so pressing
    again pays only what is still open and never twice."""
    session = get_session()
    try:
        outcome = payouts.pay_by_stripe(session, run_id, current_actor())
    except DomainError as exc:
        refusal = exc
        result: ResponseReturnValue = run_unit_of_work(session, lambda: refused(run_id, refusal))
        return result
    names = run_unit_of_work(session, lambda: _names(session, [p for p, _ in outcome.failed]))
    for partner_id, code in outcome.failed:
        flash(_("Niet betaald aan %(name)s: %(reason)s", name=names[partner_id],
                reason=payout_failure(code)))  # fmt: skip
    tried = len(outcome.paid) + len(outcome.failed)
    if tried:
        flash(_("Via Stripe betaald: %(paid)s van %(all)s partners.",
                paid=len(outcome.paid), all=tried))  # fmt: skip
    else:
        flash(_("Er staat niets meer open voor Stripe in deze afrekening."))
    return back_to(run_id)


def _names(session: Session, partner_ids: list[int]) -> dict[int, str]:
    found = session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(partner_ids)))
    return {partner_id: name for partner_id, name in found}


@blp.route("/<int:run_id>/bevestigen", methods=["POST"])
@require_role("settlements.write")
@transactional
def confirm(run_id: int) -> ResponseReturnValue:
    """The payments are on the bank statement: the run is done."""
    try:
        run = paying.confirm(get_session(), run_id, actor=current_actor(), now=clock.now())
    except DomainError as exc:
        result: ResponseReturnValue = refused(run_id, exc)
        return result
    flash(_("Afrekening %(id)s is afgerond: de betalingen staan op het bankafschrift.", id=run.id))
    return back_to(run_id)
