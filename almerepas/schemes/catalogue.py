"""Schemes as data: validated when made or changed; changing one never rewrites grants made."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.errors import NotFound
from almerepas.schemes.errors import InvalidScheme
from almerepas.schemes.models import (
    AgeRule,
    Beneficiary,
    MidPeriodEntry,
    Period,
    Scheme,
    SchemeKind,
)

#: Fields a scheme has, in the order staff see them; the API schemas list the same.
FIELDS = (
    "code", "name_nl", "name_en", "description_nl", "description_en", "kind", "beneficiary",
    "max_income_percent", "min_age", "max_age", "age_rule", "amount", "unit", "discount_percent",
    "period", "pooled", "annual_budget", "mid_period_entry", "valid_from", "valid_to", "active",
)  # fmt: skip


def coerce(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    converters = {
        "kind": SchemeKind,
        "beneficiary": Beneficiary,
        "period": Period,
        "mid_period_entry": MidPeriodEntry,
        "age_rule": AgeRule,
    }
    for key, cls in converters.items():
        if isinstance(out.get(key), str):
            out[key] = cls(out[key])
    for key in ("valid_from", "valid_to"):
        if isinstance(out.get(key), str):
            out[key] = dt.date.fromisoformat(out[key])
    return out


def validate(data: dict[str, Any]) -> None:
    """Refuse a scheme that cannot work, naming the field: 400 invalid_scheme."""

    def refuse(field: str, detail: str) -> None:
        raise InvalidScheme(
            detail=detail, errors=[{"field": field, "in": "json", "detail": detail}]
        )

    low, high = data.get("min_age"), data.get("max_age")
    if low is not None and low < 0:
        refuse("min_age", "Een leeftijd kan niet negatief zijn.")
    if low is not None and high is not None and high < low:
        refuse("max_age", f"De leeftijdsgrens is leeg: van {low} tot en met {high} jaar.")
    for key in ("amount", "annual_budget", "max_income_percent"):
        value = data.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            refuse(key, "Vul een heel getal van 0 of meer in.")
    kind = data["kind"]
    if kind in (SchemeKind.budget, SchemeKind.quota, SchemeKind.discount) and not data["amount"]:
        refuse("amount", "Een budget, quotum of korting heeft een bedrag of aantal nodig.")
    if kind == SchemeKind.discount:
        pct = data.get("discount_percent")
        if pct is None or not 0 < pct <= 100:
            refuse("discount_percent", "Een korting heeft een percentage van 1 tot en met 100.")
        if data.get("unit") != "EUR":
            refuse("unit", "Een korting is in euro's.")
    if kind == SchemeKind.quota and data.get("unit") == "EUR":
        refuse("unit", "Een quotum telt eenheden, zoals PACK, geen euro's.")
    if kind in (SchemeKind.budget, SchemeKind.discount) and data.get("unit") != "EUR":
        refuse("unit", "Een budget is in euro's.")
    if data.get("pooled") and (
        data["beneficiary"] != Beneficiary.household or kind != SchemeKind.budget
    ):
        refuse("pooled", "Alleen een budget voor het huishouden kan gedeeld worden.")
    if data.get("valid_to") is not None and data["valid_to"] < data["valid_from"]:
        refuse("valid_to", "De einddatum ligt voor de begindatum.")


def create_scheme(session: Session, data: dict[str, Any], *, actor: Actor) -> Scheme:
    """Make a scheme from its fields, refused with the field named when it cannot work."""
    values = coerce({key: data.get(key) for key in FIELDS})
    values.setdefault("pooled", False)
    values["pooled"] = bool(values["pooled"])
    values["mid_period_entry"] = values["mid_period_entry"] or MidPeriodEntry.full
    values["age_rule"] = values["age_rule"] or AgeRule.reference_day
    values["active"] = values["active"] is None or bool(values["active"])  # running unless off
    validate(values)
    if session.scalar(select(Scheme.id).where(Scheme.code == values["code"])) is not None:
        raise InvalidScheme(detail=f"Er is al een regeling met code {values['code']}.")
    scheme = Scheme(**values)
    session.add(scheme)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="scheme.create",
        entity_type="scheme",
        entity_id=scheme.code,
        changes={key: [None, _plain(getattr(scheme, key))] for key in FIELDS},
    )
    return scheme


def update_scheme(
    session: Session, scheme: Scheme, changes: dict[str, Any], *, actor: Actor
) -> dict[str, list[Any]]:
    """Apply changes; grants already made keep their amounts (they are their own rows)."""
    if "code" in changes and changes["code"] != scheme.code:
        raise InvalidScheme(detail="De code van een regeling verandert nooit.")
    merged = {key: getattr(scheme, key) for key in FIELDS} | coerce(changes)
    validate(merged)
    diff = {}
    for key, value in coerce(changes).items():
        if getattr(scheme, key) != value:
            diff[key] = [getattr(scheme, key), value]
            setattr(scheme, key, value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="scheme.change",
        entity_type="scheme",
        entity_id=scheme.code,
        changes={key: [_plain(a), _plain(b)] for key, (a, b) in diff.items()},
    )
    return diff


def _plain(value: Any) -> Any:
    """Audit rows are JSON: dates and enums as text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return getattr(value, "value", value)


def get_scheme(session: Session, code: str) -> Scheme:
    scheme = session.scalar(select(Scheme).where(Scheme.code == code))
    if scheme is None:
        raise NotFound(detail=f"Er is geen regeling met code {code}.")
    return scheme
