"""Residents logging in with DigiD through an OpenID Connect broker (docs/login.md, Residents).

The broker's ID token has been checked already (almerepas.core.oidc). The BSN in it is looked
up only through its keyed hash, as the caseworker's search does; it is never stored from the
token, logged or put in the session. The person must live in the gemeente today. The result is the
same holder session as after the e-mailed code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.holders.errors import NoPassForBsn, SsoNoBsn
from almerepas.holders.household import membership_on
from almerepas.holders.sessions import holder_actor
from almerepas.households.members import find_person_by_bsn, is_valid_bsn
from almerepas.households.models import Person


def bsn_from_claims(claims: Mapping[str, Any], claim: str, prefix: str = "") -> str:
    """The BSN in ``claim``, after ``prefix`` (brokers send e.g. ``s00000000:<bsn>`` in sub)."""
    value = claims.get(claim)
    if not isinstance(value, str):
        raise SsoNoBsn()
    if prefix:
        if not value.startswith(prefix):
            raise SsoNoBsn()
        value = value[len(prefix) :]
    if not is_valid_bsn(value):
        raise SsoNoBsn()
    return value


def bsn_login(
    session: Session, bsn: str, *, keys: Keyring, now: dt.datetime, origin: Actor
) -> Person:
    """The person with this BSN who lives in the gemeente today; NoPassForBsn when there is none.

    Writes ``holder.login`` (method digid), or ``holder.sso_refused`` without any BSN.
    """
    person = find_person_by_bsn(session, bsn, keys=keys)
    today = now.astimezone(clock.LOCAL).date()
    if person is None or membership_on(session, person.id, today) is None:
        record_refusal(session, NoPassForBsn.code, origin=origin)
        raise NoPassForBsn()
    audit.record(
        session,
        actor=holder_actor(person.id, origin.request_id),
        action="holder.login",
        entity_type="person",
        entity_id=person.id,
        changes={"method": "digid"},
    )
    return person


def record_refusal(session: Session, reason: str, *, origin: Actor) -> None:
    """``holder.sso_refused`` with the refusal's code: never the BSN, never who it was."""
    audit.record(
        session,
        actor=origin,
        action="holder.sso_refused",
        changes={"reason": reason},
    )
