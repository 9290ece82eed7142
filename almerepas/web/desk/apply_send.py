"""Aanvragen, the last steps: evidence uploads, the review with the submit button, the status.

Uploads are checked by content (applications/evidence.py) and stored in the database. A
body larger than the upload limit is refused before the form is read; it comes back on the
upload page with the same message as a file just over the limit.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from almerepas.applications import deciding, drafting, evidence, submitting
from almerepas.applications.models import Application, ApplicationStatus
from almerepas.core import clock
from almerepas.core.session import get_session, transactional
from almerepas.http.guard import current_actor
from almerepas.http.i18n import translate
from almerepas.web.desk.apply import CODE_KEY, current, steps_context
from almerepas.web.desk.check import blp

#: room for the form's other fields and the multipart framing around one file
FORM_OVERHEAD = 64 * 1024
UPLOAD_ENDPOINT = "desk.apply_evidence"


#: the pages that take a file: the application's evidence, and a holder's receipt
UPLOAD_ENDPOINTS = frozenset({UPLOAD_ENDPOINT, "holder.declare"})


def allow_uploads() -> None:
    """Before the CSRF check reads the form: an upload page takes a file up to the limit."""
    if request.endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = _max_bytes() + FORM_OVERHEAD


def _max_bytes() -> int:
    return int(current_app.config["UPLOAD_MAX_BYTES"])


def _too_large() -> str:
    return str(
        _(
            "Dit bestand is te groot. Een bestand mag hoogstens %(mb)s MB zijn.",
            mb=_max_bytes() // (1024 * 1024),
        )
    )


def _evidence_page(
    application: Application, errors: list[tuple[str, str]], status: int
) -> tuple[str, int]:
    files = [e for e in application.evidence if e.deleted_at is None]
    html = render_template(
        "desk/apply_evidence.html",
        application=application,
        files=files,
        errors=errors,
        field_errors=dict(errors),
        max_mb=_max_bytes() // (1024 * 1024),
        form={},
        **steps_context(application),
    )
    return html, status


@blp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    application = current()
    if request.endpoint != UPLOAD_ENDPOINT or application is None:
        return _error
    return _evidence_page(application, [("bestand", _too_large())], 413)


@blp.route("/aanvragen/bewijs", methods=["GET", "POST"])
@transactional
def apply_evidence() -> ResponseReturnValue:
    """Add a payslip or benefit letter (PDF or photo), or remove one added by mistake."""
    application = current()
    if application is None:
        return redirect(url_for("desk.apply_start"), 303)
    if not drafting.editable(application):
        return redirect(url_for("desk.apply_status"), 303)
    if request.method == "GET":
        return _evidence_page(application, [], 200)
    remove = request.form.get("verwijder", "")
    if remove:
        for item in application.evidence:
            if str(item.id) == remove and item.deleted_at is None:
                evidence.remove(get_session(), item, now=clock.now())
        return redirect(url_for("desk.apply_evidence"), 303)
    upload = request.files.get("bestand")
    data = upload.read(_max_bytes() + 1) if upload else b""
    try:
        evidence.add(
            get_session(),
            application,
            data,
            max_bytes=_max_bytes(),
            now=clock.now(),
            actor=current_actor(),
        )
    except evidence.Refused as refused:
        message = translate(refused.message)
        if "%(mb)s" in refused.message:
            message = _too_large()
        return _evidence_page(application, [("bestand", message)], 400)
    if request.form.get("actie") == "volgende":
        return redirect(url_for("desk.apply_review"), 303)
    return redirect(url_for("desk.apply_evidence"), 303)


@blp.route("/aanvragen/controleren")
@transactional
def apply_review() -> ResponseReturnValue:
    application = current()
    if application is None:
        return redirect(url_for("desk.apply_start"), 303)
    return _review(application, [], 200)


def _review(
    application: Application, errors: list[tuple[str, str]], status: int
) -> tuple[str, int]:
    found = drafting.read(get_session(), application.answers, clock.today())
    shown = errors or [(name, translate(message)) for name, message in found.errors]
    html = render_template(
        "desk/apply_review.html",
        application=application,
        found=found,
        errors=shown,
        field_errors=dict(shown),
        token=submitting.new_token(),
        files=[e for e in application.evidence if e.deleted_at is None],
        **steps_context(application),
    )
    return html, status


@blp.route("/aanvragen/versturen", methods=["POST"])
@transactional
def apply_submit() -> ResponseReturnValue:
    """Submit once: the same token again (a double click) gets the first result."""
    application = current()
    if application is None:
        return redirect(url_for("desk.apply_start"), 303)
    done = submitting.submit(
        get_session(),
        application,
        token=request.form.get("token", ""),
        today=clock.today(),
        now=clock.now(),
        actor=current_actor(),
    )
    if done.errors:
        return _review(application, [(n, translate(m)) for n, m in done.errors], 400)
    return redirect(url_for("desk.apply_status"), 303)


@blp.route("/aanvragen/status")
@transactional
def apply_status() -> ResponseReturnValue:
    application = current()
    if application is None:
        abort(404)
    reason = deciding.REJECT_REASONS.get(application.decision_reason or "")
    return render_template(
        "desk/apply_status.html",
        application=application,
        statuses=ApplicationStatus,
        reason=translate(reason) if reason else None,
        code=session.get(CODE_KEY),
    )
