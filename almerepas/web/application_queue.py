"""De wachtrij: the caseworker's queue of submitted applications, one screen each, the decision.

Each application shows what the grant run would give the household as entered (the check's
verdict, applications/submitting.proposal), its evidence (served to staff only, as an
attachment with the type its content was checked to be), forms to correct what was typed, and
the decision. Approval is one transaction: this request's commit (applications/deciding.py).
"""

from __future__ import annotations

from typing import Any

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
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from almerepas.applications import deciding, drafting, evidence, submitting
from almerepas.applications.models import Application, ApplicationStatus
from almerepas.audit import log as audit
from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.http.guard import current_actor, require_role
from almerepas.http.i18n import translate
from almerepas.http.outbox import send_after_response
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from almerepas.web.caseworker import may, no_store, scheme_name
from almerepas.web.desk.apply import STEP_PAGES, steps_context
from almerepas.web.desk.check import worth

blp = Blueprint("application_queue", __name__, url_prefix="/medewerkers/aanvragen")

STEP_TITLES = {
    "members": _l("Wie wonen er"),
    "address": _l("Adres en contact"),
    "income": _l("Inkomen"),
}


blp.after_request(no_store)


def _get(application_id: int) -> Application:
    found = get_session().get(Application, application_id)
    if found is None or found.status == ApplicationStatus.draft:
        abort(404)
    return found


def _viewed(application: Application) -> None:
    audit.record(
        get_session(),
        actor=current_actor(),
        action="application.view",
        entity_type="application",
        entity_id=application.id,
    )


def _proposal(application: Application) -> tuple[drafting.Read, list[dict[str, Any]] | None]:
    today = clock.today()
    found = drafting.read(get_session(), application.answers, today)
    if found.errors or not found.members:
        return found, None
    answers = submitting.proposal(get_session(), found, today)
    if answers is None:
        return found, None
    return found, [
        {
            "name": scheme_name(a.scheme),
            "eligible": a.eligible,
            "worth": worth(a) if a.eligible else "",
        }
        for a in answers
    ]


@blp.route("")
@require_role("applications.read")
@transactional
def queue() -> str:
    """Submitted applications, oldest first (first come, first served), with their proposal."""
    waiting = get_session().scalars(
        select(Application)
        .where(Application.status == ApplicationStatus.submitted)
        .order_by(Application.submitted_at, Application.id)
    )
    rows = []
    shown: list[int] = []
    for application in waiting:
        shown.append(application.id)
        found, proposal = _proposal(application)
        rows.append({"application": application, "found": found, "proposal": proposal})
    audit.record(  # the queue shows each applicant's name: a read the log keeps
        get_session(),
        actor=current_actor(),
        action="applications.list",
        changes={"applications": shown},
    )
    declarations = get_session().scalar(
        select(func.count())
        .select_from(Reimbursement)
        .where(Reimbursement.status == ReimbursementStatus.submitted)
    )
    return render_template("applications/queue.html", rows=rows, declarations=declarations)


@blp.route("/<int:application_id>")
@require_role("applications.read")
@transactional
def show(application_id: int) -> str:
    application = _get(application_id)
    return _show(application, [], 200)[0]


def _show(application: Application, errors: list[tuple[str, str]], status: int) -> tuple[str, int]:
    _viewed(application)
    found, proposal = _proposal(application)
    html = render_template(
        "applications/show.html",
        application=application,
        found=found,
        proposal=proposal,
        problems=[translate(m) for _n, m in found.errors],
        errors=errors,
        field_errors=dict(errors),
        reasons=[(k, translate(v)) for k, v in deciding.REJECT_REASONS.items()],
        files=[e for e in application.evidence if e.deleted_at is None],
        may=may,
        statuses=ApplicationStatus,
        form=request.form,
        step_titles=STEP_TITLES,
        **steps_context(application),
    )
    return html, status


@blp.route("/<int:application_id>/bewijs/<int:evidence_id>")
@require_role("applications.read")
@transactional
def evidence_file(application_id: int, evidence_id: int) -> Response:
    """One file, as an attachment with its checked type; never shown inline by the browser."""
    application = _get(application_id)
    item = next((e for e in application.evidence if e.id == evidence_id), None)
    if item is None or item.deleted_at is not None:
        abort(404)
    data = evidence.read(get_session(), item)
    _viewed(application)
    response = Response(data, mimetype=item.content_type)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{evidence.download_name(item)}"'
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.route("/<int:application_id>/verbeteren/<step>", methods=["GET", "POST"])
@require_role("applications.decide")
@transactional
def correct(application_id: int, step: str) -> ResponseReturnValue:
    """Correct one step of what the resident typed, before deciding; audited with before/after."""
    application = _get(application_id)
    if step not in STEP_PAGES or application.status != ApplicationStatus.submitted:
        abort(404)
    context = steps_context(application) | {
        "application": application,
        "step": step,
        "title": STEP_TITLES[step],
    }
    if request.method == "GET":
        _viewed(application)
        values = dict(application.answers.get(step, {}))
        return render_template(
            "applications/correct.html", form=values, errors=[], field_errors={}, **context
        )
    errors = deciding.correct(
        get_session(), application, step, request.form.to_dict(), actor=current_actor(),
        today=clock.today(), now=clock.now(),
    )  # fmt: skip
    if errors:
        shown = [(n, translate(m)) for n, m in errors]
        html = render_template(
            "applications/correct.html", form=request.form.to_dict(), errors=shown,
            field_errors=dict(shown), **context,
        )  # fmt: skip
        return html, 400
    flash(_("De gegevens zijn verbeterd."))
    return redirect(url_for("application_queue.show", application_id=application.id), 303)


@blp.route("/<int:application_id>/besluit", methods=["POST"])
@require_role("applications.decide")
@transactional
def decide(application_id: int) -> ResponseReturnValue:
    """Approve, ask for more information, or reject with a reason from the list; the letter by
    e-mail leaves after the commit."""
    send_after_response()
    application = _get(application_id)
    action = request.form.get("besluit", "")
    session, actor, now = get_session(), current_actor(), clock.now()
    if action == "info":
        message = request.form.get("info_request", "").strip()
        if not message:
            return _show(
                application, [("info_request", _("Schrijf welke informatie nog nodig is."))], 400
            )
        deciding.ask_for_information(
            session, application, message, actor=actor, keys=get_keys(), now=now,
            today=clock.today(), link=url_for("desk.apply_start", _external=True),
        )  # fmt: skip
        flash(_("De aanvraag is teruggestuurd naar de aanvrager."))
    elif action == "reject":
        reason = request.form.get("reason", "")
        if reason not in deciding.REJECT_REASONS:
            return _show(application, [("reason", _("Kies een reden."))], 400)
        note = request.form.get("note", "").strip()
        if reason == "other" and not note:
            return _show(application, [("note", _("Schrijf de reden in de toelichting."))], 400)
        deciding.reject(session, application, reason, note, actor=actor, keys=get_keys(),
                        now=now, today=clock.today())  # fmt: skip
        flash(_("De aanvraag is afgewezen."))
    elif action == "approve":
        try:
            household = deciding.approve(
                session, application, actor=actor, keys=get_keys(), today=clock.today(), now=now
            )
        except DomainError as refused:
            session.rollback()
            return _show(application, [("besluit", translate(str(refused.detail)))], 400)
        flash(
            _(
                "De aanvraag is goedgekeurd. Het huishouden is ingeschreven en heeft passen "
                "en regelingen."
            )
        )
        return redirect(url_for("caseworker.household", household_id=household.id), 303)
    else:
        return _show(application, [("besluit", _("Kies een besluit."))], 400)
    return redirect(url_for("application_queue.queue"), 303)
