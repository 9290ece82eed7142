"""Grant runs as pages: policy and finance preview a period; finance runs it. No JavaScript."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.session import get_session, transactional
from almerepas.grants import runs as grants
from almerepas.http.guard import current_actor, current_staff, require_role
from almerepas.http.i18n import translate
from almerepas.http.reasons import counted
from almerepas.schemes import periods
from almerepas.staff.permissions import allowed
from almerepas.web.caseworker import quantity

blp = Blueprint("grant_runs_pages", __name__, url_prefix="/medewerkers")


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


def _default_period() -> str:
    today = clock.today()
    following = periods.add_months(today.replace(day=1), 1)
    return f"{following:%Y-%m}"


def _amount(run: grants.SchemeRun) -> str:
    return quantity(run.amount, run.unit)


def _render(period: str, runs: list[grants.SchemeRun] | None, errors: list[tuple[str, str]]) -> str:
    user = current_staff()
    return render_template(
        "grants/runs.html",
        period=period,
        runs=runs,
        amount=_amount,
        counted=counted,
        errors=errors,
        field_errors=dict(errors),
        may_run=user is not None and allowed(user.role, "grants.run"),
    )


@blp.route("/toekenningen")
@require_role("grants.preview")
@transactional
def page() -> ResponseReturnValue:
    """Choose a period and see what a run would grant, per scheme, without writing anything."""
    period = request.args.get("periode", "").strip()
    if not period:
        return _render(_default_period(), None, [])
    try:
        runs = grants.preview(
            get_session(), period=period, actor=current_actor(), today=clock.today()
        )
    except DomainError as exc:
        return _render(period, None, [("periode", translate(exc.detail))]), 400
    return _render(period, runs, [])


@blp.route("/toekenningen", methods=["POST"])
@require_role("grants.run")
@transactional
def run() -> ResponseReturnValue:
    """Grant the period for real; running it twice grants nothing twice."""
    period = request.form.get("periode", "").strip()
    session = get_session()
    try:
        runs = grants.issue(session, period=period, actor=current_actor(), today=clock.today())
    except DomainError as exc:
        return _render(period, None, [("periode", translate(exc.detail))]), 400
    granted = sum(r.granted for r in runs)
    flash(_("Klaar: %(n)s toekenningen voor %(period)s.", n=granted, period=period))
    return redirect(url_for("grant_runs_pages.page", periode=period), 303)
