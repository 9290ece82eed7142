"""Settlement runs as pages: the list with what is owed and late, preparing a run, one run, and
the four-eyes approval and cancelling. Paying is in almerepas.web.finance.paying.

A refusal of the domain (a month not over, your own run, lines changed, a step that does not fit)
is shown on the page in Dutch, with the request's work rolled back: nothing half-written.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from almerepas.contracts.models import Partner, PayoutMethod
from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.session import get_session, transactional
from almerepas.http import payouts
from almerepas.http.guard import current_actor, require_role
from almerepas.http.i18n import translate
from almerepas.schemes import periods
from almerepas.settlements import reports, runs
from almerepas.settlements.models import (
    PaymentStatus,
    PayoutFile,
    RunStatus,
    SettlementRun,
)
from almerepas.web.caseworker import may
from almerepas.web.finance.words import HELPERS, hold_reason
from almerepas.web.forms import Errors, is_plain

blp = Blueprint("finance_pages", __name__, url_prefix="/financien/afrekeningen")

MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


@blp.after_request
def _no_store(response: Response) -> Response:
    """Bank accounts and amounts owed must not stay behind in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.context_processor
def _helpers() -> dict[str, Any]:
    return {"may": may, **HELPERS}


def last_closed_month() -> str:
    """The month before this one: the run to prepare on the first working day after it."""
    previous = periods.add_months(clock.today().replace(day=1), -1)
    return f"{previous:%Y-%m}"


# -- every run ----------------------------------------------------------------------------------


def _list_page(
    form: dict[str, str],
    errors: Errors,
    status: int = 200,
    held: list[tuple[str, str]] | None = None,
) -> tuple[str, int]:
    session = get_session()
    found = session.scalars(select(SettlementRun).order_by(SettlementRun.id.desc()))
    everyone = session.scalars(select(Partner).order_by(Partner.name, Partner.id))
    html = render_template(
        "finance/runs.html",
        runs=list(found),
        partners=[(str(p.id), p.name) for p in everyone],
        owed=reports.owed(session, now=clock.now()),
        late=reports.late(session, today=clock.today(), pay_days=payouts.pay_days()),
        form=form,
        held=held or [],
        errors=errors,
        field_errors=dict(errors),
    )
    return html, status


@blp.route("")
@require_role("settlements.read")
@transactional
def list_runs() -> ResponseReturnValue:
    """Every run, newest first; the form to prepare one; what is owed and what is late."""
    return _list_page({"periode": last_closed_month(), "partner": ""}, [])


@blp.route("", methods=["POST"])
@require_role("settlements.write")
@transactional
def prepare() -> ResponseReturnValue:
    """Prepare a draft run for a month (and one partner, if chosen); a colleague approves it."""
    form = {name: request.form.get(name, "").strip() for name in ("periode", "partner")}
    errors: Errors = []
    if not (is_plain(form["periode"], 7) and MONTH.fullmatch(form["periode"])):
        errors.append(("periode", _("Vul een maand in zoals 2026-06 (jaar-maand).")))
    partner_id = None
    if form["partner"]:
        if form["partner"].isascii() and form["partner"].isdigit() and len(form["partner"]) < 10:
            partner_id = int(form["partner"])
        else:
            errors.append(("partner", _("Kies een partner uit de lijst, of alle partners.")))
    if errors:
        return _list_page(form, errors, 400)
    session = get_session()
    try:
        run, held = runs.prepare(
            session,
            period=form["periode"],
            partner_id=partner_id,
            actor=current_actor(),
            now=clock.now(),
        )
    except DomainError as exc:
        session.rollback()
        errors = [("periode", translate(exc.detail))]
        return _list_page(form, errors, exc.status, _held_back(exc.extensions.get("held")))
    flash(_("Afrekening %(id)s voor %(period)s is klaargezet. Een collega moet hem goedkeuren.",
            id=run.id, period=run.period))  # fmt: skip
    if held:
        flash(ngettext("%(num)s partner is tegengehouden. Onderaan staat waarom.",
                       "%(num)s partners zijn tegengehouden. Onderaan staat waarom.",
                       len(held)))  # fmt: skip
    return redirect(url_for("finance_pages.show", run_id=run.id), 303)


def _held_back(held: Any) -> list[tuple[str, str]]:
    """The partners a refused prepare held back, by name, with the reason in words."""
    if not held:
        return []
    ids = [int(item["partner"]) for item in held]
    query = select(Partner.id, Partner.name).where(Partner.id.in_(ids))
    names = {partner_id: name for partner_id, name in get_session().execute(query)}
    return [(names.get(int(item["partner"]), ""), hold_reason(item["reason"])) for item in held]


# -- one run ------------------------------------------------------------------------------------


def render_run(run: SettlementRun, refusal: str | None = None, status: int = 200) -> Any:
    """The run page; ``refusal``: why the step just asked for was refused."""
    session = get_session()
    payout_file = session.scalar(select(PayoutFile).where(PayoutFile.run_id == run.id))
    pending = {p.method for p in run.payments if p.status == PaymentStatus.pending}
    html = render_template(
        "finance/run.html",
        run=run,
        schemes=reports.scheme_totals(session, run.id),
        payout_file=payout_file,
        own=current_actor().name == run.prepared_by,
        may_cancel=run.status in (RunStatus.draft, RunStatus.approved)
        and all(p.status == PaymentStatus.pending for p in run.payments),
        sepa_to_make=run.status == RunStatus.approved and PayoutMethod.sepa in pending,
        stripe_to_pay=run.status == RunStatus.approved and PayoutMethod.stripe in pending,
        refusal=refusal,
    )
    return html, status


def refused(run_id: int, exc: DomainError) -> Any:
    """The run page with the refusal on top; whatever the step did is rolled back first."""
    session = get_session()
    session.rollback()
    return render_run(runs.get_run(session, run_id), translate(exc.detail), exc.status)


def back_to(run_id: int) -> ResponseReturnValue:
    return redirect(url_for("finance_pages.show", run_id=run_id), 303)


@blp.route("/<int:run_id>")
@require_role("settlements.read")
@transactional
def show(run_id: int) -> ResponseReturnValue:
    """One run: who did what when, totals per scheme, payments, partners held back, buttons."""
    result: ResponseReturnValue = render_run(runs.get_run(get_session(), run_id))
    return result


@blp.route("/<int:run_id>/goedkeuren", methods=["POST"])
@require_role("settlements.write")
@transactional
def approve(run_id: int) -> ResponseReturnValue:
    """Approve the lines that were shown (their hash); never one's own run."""
    try:
        run = runs.approve(
            get_session(),
            run_id,
            actor=current_actor(),
            now=clock.now(),
            expected_hash=request.form.get("lines_hash", "").strip(),
        )
    except DomainError as exc:
        result: ResponseReturnValue = refused(run_id, exc)
        return result
    flash(_("Afrekening %(id)s is goedgekeurd. Nu kan er worden betaald.", id=run.id))
    return back_to(run_id)


@blp.route("/<int:run_id>/annuleren", methods=["POST"])
@require_role("settlements.write")
@transactional
def cancel(run_id: int) -> ResponseReturnValue:
    """Stop a run before anything was paid; what was in it goes into a later run."""
    try:
        run = runs.cancel(get_session(), run_id, actor=current_actor(), now=clock.now())
    except DomainError as exc:
        result: ResponseReturnValue = refused(run_id, exc)
        return result
    flash(_("Afrekening %(id)s is geannuleerd. Alles erin komt in een volgende afrekening.",
            id=run.id))  # fmt: skip
    return back_to(run_id)
