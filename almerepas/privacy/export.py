"""Everything held about a household, for an access request (AVG art. 15; docs/privacy.md).

Rows are exported column by column, so a column added later is exported too; only secrets that
are not the person's data (hashes of codes and tokens, the encrypted forms) are left out. The
BSN and the bodies of messages are decrypted: they are the person's data.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, inspect, or_, select
from sqlalchemy.orm import Session

from almerepas.applications.models import Application, Evidence
from almerepas.audit import log as audit
from almerepas.audit import values
from almerepas.audit.log import Actor
from almerepas.audit.models import AuditEvent
from almerepas.core.crypto import Keyring
from almerepas.core.errors import NotFound
from almerepas.grants.models import Grant
from almerepas.holders.models import HolderSession, LoginCode
from almerepas.households.members import reveal_bsn
from almerepas.households.models import Household, Membership, Person
from almerepas.income.models import IncomeAssessment, IncomeLine
from almerepas.letters.models import Letter
from almerepas.outbox.models import Message
from almerepas.outreach.models import OptOut, OutreachContact
from almerepas.passes.credential_models import Credential
from almerepas.passes.models import CardPrint, Pass
from almerepas.redemptions.models import Redemption, Reversal, Ride
from almerepas.reimbursements.models import Reimbursement

#: hashes and encrypted forms: secrets of the service, not data about the person
SECRET_COLUMNS = frozenset(
    {
        "bsn_encrypted",
        "bsn_hash",
        "code_hash",
        "token_hash",
        "contact_hash",
        "salt",
        "body_encrypted",
        "revocation_hash",
        "submission_token",
    }
)


def plain(value: Any) -> Any:
    """A column's value as JSON."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def row(obj: Any) -> dict[str, Any]:
    """Every column of a mapped object but the secrets."""
    return {
        column.key: plain(getattr(obj, column.key))
        for column in inspect(type(obj)).column_attrs
        if column.key not in SECRET_COLUMNS
    }


def _rows(objects: Iterable[Any]) -> list[dict[str, Any]]:
    return [row(o) for o in objects]


def _all(session: Session, model: Any, column: Any, ids: Sequence[int]) -> list[Any]:
    if not ids:
        return []
    order = getattr(model, "id", column)
    return list(session.scalars(select(model).where(column.in_(ids)).order_by(order)))


def export_household(
    session: Session, household_id: int, keys: Keyring, *, actor: Actor
) -> dict[str, Any]:
    """All we hold about the household and everyone who was ever in it; audited as a read."""
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound()
    memberships = list(
        session.scalars(select(Membership).where(Membership.household_id == household_id))
    )
    person_ids = sorted({m.person_id for m in memberships})
    persons = _all(session, Person, Person.id, person_ids)
    assessments = list(
        session.scalars(
            select(IncomeAssessment)
            .where(IncomeAssessment.household_id == household_id)
            .order_by(IncomeAssessment.id)
        )
    )
    passes = _all(session, Pass, Pass.person_id, person_ids)
    pass_ids = [p.id for p in passes]
    grants = list(
        session.scalars(
            select(Grant)
            .where(or_(Grant.household_id == household_id, Grant.person_id.in_(person_ids)))
            .order_by(Grant.id)
        )
    )
    grant_ids = [g.id for g in grants]
    redemptions = _all(session, Redemption, Redemption.grant_id, grant_ids)
    applications = _all(session, Application, Application.household_id, [household_id])
    letters = _all(session, Letter, Letter.household_id, [household_id])
    declarations = _all(session, Reimbursement, Reimbursement.holder_id, person_ids)
    contacts = _all(session, OutreachContact, OutreachContact.household_id, [household_id])
    message_ids = sorted(
        {m for m in [x.message_id for x in letters] + [c.message_id for c in contacts] if m}
    )
    body: dict[str, Any] = {
        "household": row(household),
        "memberships": _rows(memberships),
        "persons": [row(p) | {"bsn": reveal_bsn(p, keys=keys)} for p in persons],
        "income_assessments": _rows(assessments),
        "income_lines": _rows(
            _all(session, IncomeLine, IncomeLine.assessment_id, [a.id for a in assessments])
        ),
        "applications": _rows(applications),
        "evidence": _rows(
            _all(session, Evidence, Evidence.application_id, [a.id for a in applications])
        ),
        "passes": _rows(passes),
        "card_prints": _rows(_all(session, CardPrint, CardPrint.pass_id, pass_ids)),
        "credentials": _rows(_all(session, Credential, Credential.pass_id, pass_ids)),
        "grants": [row(g) | {"scheme": g.scheme.code} for g in grants],
        "redemptions": [
            row(r) | {"partner": r.partner.name if r.partner else None} for r in redemptions
        ],
        "reversals": _rows(
            _all(session, Reversal, Reversal.redemption_id, [r.id for r in redemptions])
        ),
        "rides": [
            row(r) | {"partner": r.partner.name}
            for r in _all(session, Ride, Ride.pass_id, pass_ids)
        ],
        "reimbursements": _rows(declarations),
        "letters": _rows(letters),
        "messages": [
            row(m) | {"body": keys.decrypt(m.body_encrypted) if m.body_encrypted else None}
            for m in _all(session, Message, Message.id, message_ids)
        ],
        "outreach_contacts": _rows(contacts),
        "outreach_opt_out": _rows(_all(session, OptOut, OptOut.household_id, [household_id])),
        "login_codes": _rows(_all(session, LoginCode, LoginCode.person_id, person_ids)),
        "holder_sessions": _rows(_all(session, HolderSession, HolderSession.person_id, person_ids)),
        "audit_events": _audit_rows(
            session,
            {
                "household": [household_id],
                "person": person_ids,
                "pass": pass_ids,
                "application": [a.id for a in applications],
                "reimbursement": [d.id for d in declarations],
            },
        ),
    }
    audit.record(
        session,
        actor=actor,
        action="privacy.export",
        entity_type="household",
        entity_id=household_id,
        changes={"persons": person_ids},
    )
    return body


def _audit_rows(session: Session, about: dict[str, Sequence[int]]) -> list[dict[str, Any]]:
    """The log's rows about them, each with its personal values looked up (or erased)."""
    query = select(AuditEvent).where(audit_events_about(about)).order_by(AuditEvent.id)
    events = list(session.scalars(query))
    changes = values.changes_of(session, events)
    return [row(event) | {"changes": changes[event.id]} for event in events]


def audit_events_about(about: dict[str, Sequence[int]]) -> ColumnElement[bool]:
    """Which of the log's rows are about the household, its persons, passes, applications and
    declarations, or are what its persons did themselves on the holder's pages (``about`` names
    the ids of each kind; ``person`` is required). Erasure removes their personal values."""
    conditions: list[ColumnElement[bool]] = [
        (AuditEvent.entity_type == kind) & AuditEvent.entity_id.in_([str(i) for i in ids])
        for kind, ids in about.items()
        if ids
    ]
    conditions.append(AuditEvent.actor.in_([f"holder:{p}" for p in about["person"]]))
    return or_(*conditions)
