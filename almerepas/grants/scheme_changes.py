"""Changing a scheme once it has granted: what shapes the grants already made stays fixed.

Switching a scheme from households to persons would grant the same period twice; a new unit
would no longer match the funding and entitlement accounts, and stop every later run. Such a
change is a new scheme that starts on a date, with the old one ending the day before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants.errors import SchemeHasGrants
from almerepas.grants.models import Grant
from almerepas.schemes import catalogue
from almerepas.schemes.models import Scheme

#: What every grant of a scheme was made by: fixed after the first one.
FIXED_ONCE_GRANTED = ("beneficiary", "kind", "unit", "period", "pooled")


def change_scheme(
    session: Session, scheme: Scheme, changes: dict[str, Any], *, actor: Actor
) -> dict[str, list[Any]]:
    """Change a scheme as ``catalogue.update_scheme`` does, refusing what its grants depend on."""
    proposed = catalogue.coerce(changes)
    fixed = [f for f in FIXED_ONCE_GRANTED if f in proposed and proposed[f] != getattr(scheme, f)]
    if fixed and session.scalar(select(Grant.id).where(Grant.scheme_id == scheme.id).limit(1)):
        raise SchemeHasGrants(
            errors=[
                {"field": field, "in": "json", "detail": "Ligt vast: er is al toegekend."}
                for field in fixed
            ]
        )
    return catalogue.update_scheme(session, scheme, changes, actor=actor)
