"""The gemeente's choices as a page: every role reads them, policy staff change them here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from almerepas.core.errors import DomainError
from almerepas.core.money import format_cents, parse_euros
from almerepas.core.session import get_session, transactional
from almerepas.http.guard import current_actor, current_staff, require_role
from almerepas.http.i18n import translate
from almerepas.income import policy
from almerepas.staff.permissions import allowed

blp = Blueprint("policy_pages", __name__, url_prefix="/medewerkers")

#: the choices of each choice setting, in the order the page offers them
CHOICES: dict[str, list[str]] = {
    "youth_norm": [v.value for v in policy.YouthNorm],
    "lodgers": [v.value for v in policy.OutsideFamily],
    "adult_children": [v.value for v in policy.OutsideFamily],
    "students": [v.value for v in policy.Students],
    "income_period": [v.value for v in policy.IncomePeriod],
}


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


def shown(key: str, value: Any) -> str:
    """A setting's value in words for the page."""
    if key == "asset_limit":
        if value is None:
            return str(_("geen vermogensgrens"))
        return ", ".join(f"{kind}: {format_cents(value[kind])}" for kind in policy.ASSET_TYPES)
    return str(value)


def _render(
    errors: list[tuple[str, str]], status: int = 200, typed: dict[str, str] | None = None
) -> ResponseReturnValue:
    session = get_session()
    current = policy.load_policy(session)
    stored = policy.stored_settings(session)
    user = current_staff()
    typed = typed or {}
    limits = current.asset_limit or {}
    asset_inputs = {
        kind: typed.get(f"asset_limit-{kind}")
        or (format_cents(limits[kind]) if kind in limits else "")
        for kind in policy.ASSET_TYPES
    }
    rows = [
        {
            "key": key,
            "label": translate(setting.label),
            "explanation": translate(setting.explanation),
            "source": setting.source,
            "value": setting.dump(getattr(current, key)),
            "default": setting.default,
            "changed": stored.get(key),
        }
        for key, setting in policy.SETTINGS.items()
    ]
    html = render_template(
        "staff/policy.html",
        rows=rows,
        choices=CHOICES,
        shown=shown,
        asset_types=policy.ASSET_TYPES,
        may_change=user is not None and allowed(user.role, "policy.write"),
        errors=errors,
        field_errors=dict(errors),
        typed=typed,
        asset_inputs=asset_inputs,
    )
    return html, status


@blp.route("/beleid")
@require_role("policy.read")
@transactional
def page() -> ResponseReturnValue:
    """Each choice with its value, its default, its source and who changed it last."""
    return _render([])


def _asset_limit(form: dict[str, str], errors: list[tuple[str, str]]) -> dict[str, int] | None:
    typed = {kind: form.get(f"asset_limit-{kind}", "").strip() for kind in policy.ASSET_TYPES}
    if not any(typed.values()):
        return None
    limits = {}
    for kind, text in typed.items():
        try:
            limits[kind] = parse_euros(text)
        except ValueError:
            errors.append(
                (f"asset_limit-{kind}", _("Vul een bedrag in euro's in, zoals 16.000,00."))
            )
    return limits


@blp.route("/beleid/<key>", methods=["POST"])
@require_role("policy.write")
@transactional
def change(key: str) -> ResponseReturnValue:
    """Change one choice; the change is audited (policy.change)."""
    setting = policy.setting(key)
    form = request.form.to_dict()
    errors: list[tuple[str, str]] = []
    value: Any
    if key == "asset_limit":
        value = _asset_limit(form, errors)
    elif key == "assessment_months":
        text = form.get(key, "").strip()
        value = int(text) if text.isdigit() else text
    else:
        value = form.get(key, "")
    if not errors:
        try:
            policy.change_setting(get_session(), key, value, actor=current_actor())
        except DomainError as refused:
            errors.append(
                (key if key != "asset_limit" else "asset_limit-single", translate(refused.detail))
            )
    if errors:
        return _render(errors, 400, form)
    flash(_("De keuze '%(label)s' is gewijzigd.", label=translate(setting.label)))
    return redirect(url_for("policy_pages.page") + f"#setting-{key}", 303)
