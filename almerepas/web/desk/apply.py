"""Aanvragen: one application for the whole household, step by step, without JavaScript.

Every step is a plain form; what is typed is saved as typed on every POST (``drafting``), so a
mistake never costs what was typed, and "Opslaan en later verder" ends with a code (and, for an
e-mail address, a message with the link). The draft is found by the id in the session cookie,
or by the code. A staff member who fills it in for a resident (a support worker at a
neighbourhood desk) is recorded on it. Evidence, review and submission: desk/apply_send.py.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from almerepas.applications import drafting
from almerepas.applications.models import Application
from almerepas.core import clock
from almerepas.core.money import format_cents
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.http.guard import current_actor
from almerepas.http.i18n import translate
from almerepas.income.lines import income_kinds
from almerepas.income.models import Per
from almerepas.outbox.models import Channel
from almerepas.outbox.queue import queue
from almerepas.web.desk.check import blp

SESSION_KEY = "aanvraag"
CODE_KEY = "aanvraag_code"
#: step -> (endpoint, template); the order is the order of the pages
STEP_PAGES = {
    "members": ("desk.apply_members", "desk/apply_members.html"),
    "address": ("desk.apply_address", "desk/apply_address.html"),
    "income": ("desk.apply_income", "desk/apply_income.html"),
}
NEXT = {
    "members": "desk.apply_address",
    "address": "desk.apply_income",
    "income": "desk.apply_evidence",
}
ROLE_OPTIONS = (
    ("applicant", _l("Ikzelf (aanvrager)")),
    ("partner", _l("Mijn partner")),
    ("child", _l("Mijn kind")),
    ("other", _l("Iemand anders die hier woont")),
)


def current() -> Application | None:
    """The application of this browser session, if any."""
    found = session.get(SESSION_KEY)
    if not isinstance(found, int):
        return None
    return get_session().get(Application, found)


def steps_context(application: Application | None = None) -> dict[str, Any]:
    typed = application.answers.get("members", {}) if application else {}
    members = [
        (
            str(row),
            " ".join(
                typed.get(f"member-{row}-{part}", "") for part in ("given_name", "family_name")
            ).strip(),
        )
        for row in range(drafting.MEMBER_ROWS)
        if typed.get(f"member-{row}-given_name") or typed.get(f"member-{row}-family_name")
    ]
    return {
        "code": session.get(CODE_KEY),
        "members": members,
        "euros": format_cents,
        "role_options": [(key, str(label)) for key, label in ROLE_OPTIONS],
        "kinds": [
            (k.kind, _("%(label)s (per jaar)", label=k.label) if k.per == Per.year else k.label)
            for k in income_kinds().values()
        ],
    }


@blp.route("/aanvragen")
def apply_start() -> str:
    return render_template("desk/apply_start.html", errors=[], field_errors={}, form={})


@blp.route("/aanvragen", methods=["POST"])
@transactional
def apply_begin() -> ResponseReturnValue:
    """A new draft; from the check's result its answers come along (roles and how many)."""
    carried: dict[str, str] = {}
    rows = [("applicant", request.form.get("leeftijd", ""))]
    if request.form.get("huishouden") == "samen":
        rows.append(("partner", request.form.get("leeftijd_partner", "")))
    kids = [k for k in request.form.get("kinderen", "").replace(";", ",").split(",") if k.strip()]
    rows += [("child", k) for k in kids[: drafting.MEMBER_ROWS - len(rows)]]
    if request.form.get("van_check") == "ja":
        carried = {f"member-{n}-role": role for n, (role, _age) in enumerate(rows)}
    application, code = drafting.start(
        get_session(), now=clock.now(), actor=current_actor(), carried=carried
    )
    session[SESSION_KEY] = application.id
    session[CODE_KEY] = code
    return redirect(url_for("desk.apply_members"), 303)


@blp.route("/aanvragen/verder", methods=["GET", "POST"])
@transactional
def apply_resume() -> ResponseReturnValue:
    """Continue with the code (typed, or from the link in the e-mail)."""
    typed = request.values.get("code", "").strip()[:40]
    if request.method == "GET" and not typed:
        return render_template("desk/apply_start.html", errors=[], field_errors={}, form={})
    found = drafting.find(get_session(), typed) if typed else None
    if found is None:
        error = [
            (
                "code",
                _("Deze code kennen wij niet. Controleer de code, bijvoorbeeld ABCD-EFGH-JK23."),
            )
        ]
        html = render_template(
            "desk/apply_start.html", errors=error, field_errors=dict(error), form={"code": typed}
        )
        return html, 400
    session[SESSION_KEY] = found.id
    session[CODE_KEY] = typed.upper()
    if drafting.editable(found):
        return redirect(url_for("desk.apply_members"), 303)
    return redirect(url_for("desk.apply_status"), 303)


def _step(step: str) -> ResponseReturnValue:
    application = current()
    if application is None:
        return redirect(url_for("desk.apply_start"), 303)
    if not drafting.editable(application):
        return redirect(url_for("desk.apply_status"), 303)
    _endpoint, template = STEP_PAGES[step]
    context = steps_context(application) | {"application": application, "step": step}
    if request.method == "GET":
        values = dict(application.answers.get(step, {}))
        return render_template(template, form=values, errors=[], field_errors={}, **context)
    drafting.save_step(
        application, step, request.form.to_dict(), now=clock.now(), actor=current_actor()
    )
    if request.form.get("actie") == "opslaan":
        _mail_code(application)
        return redirect(url_for("desk.apply_saved"), 303)
    today = clock.today()
    found = drafting.read(get_session(), application.answers, today, (step,))
    if found.errors:
        errors = [(name, translate(message)) for name, message in found.errors]
        values = dict(application.answers.get(step, {}))
        html = render_template(
            template, form=values, errors=errors, field_errors=dict(errors), **context
        )
        return html, 400
    return redirect(url_for(NEXT[step]), 303)


def _mail_code(application: Application) -> None:
    """The link to continue, by e-mail when an e-mail address was typed; in the outbox, so it
    leaves only when this request commits."""
    email = application.answers.get("address", {}).get("email", "")
    code = session.get(CODE_KEY)
    if not (email and drafting.EMAIL.fullmatch(email) and isinstance(code, str)):
        return
    link = url_for("desk.apply_resume", code=code, _external=True)
    body = _(
        "U bent bezig met een aanvraag voor de %(pass_name)s. Ga verder met deze link: %(link)s\n"
        "Of vul op de website deze code in: %(code)s",
        link=link,
        code=code,
    )
    queue(
        get_session(),
        channel=Channel.email,
        recipient=email,
        purpose="application.resume",
        subject=_("Uw aanvraag voor de %(pass_name)s"),
        body=body,
        keys=get_keys(),
        now=clock.now(),
    )


@blp.route("/aanvragen/huishouden", methods=["GET", "POST"])
@transactional
def apply_members() -> ResponseReturnValue:
    return _step("members")


@blp.route("/aanvragen/adres", methods=["GET", "POST"])
@transactional
def apply_address() -> ResponseReturnValue:
    return _step("address")


@blp.route("/aanvragen/inkomen", methods=["GET", "POST"])
@transactional
def apply_income() -> ResponseReturnValue:
    return _step("income")


@blp.route("/aanvragen/opgeslagen")
@transactional
def apply_saved() -> ResponseReturnValue:
    application = current()
    if application is None:
        abort(404)
    emailed = bool(application.answers.get("address", {}).get("email"))
    return render_template("desk/apply_saved.html", code=session.get(CODE_KEY), emailed=emailed)
