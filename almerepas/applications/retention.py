"""How long an application is kept (docs/one-desk.md, "Wat bewaren wij en hoe lang"): a draft
nobody touched for ``DRAFT_DAYS`` goes, with its files; the evidence of a decided application
goes ``EVIDENCE_DAYS`` after the decision (its row stays, with the SHA-256, as the record that
it was seen). Run daily: ``almerepas applications prune``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from almerepas.applications import evidence
from almerepas.applications.models import Application, ApplicationStatus, Evidence
from almerepas.audit import log as audit
from almerepas.audit.log import Actor

#: a draft (or one sent back for more information) untouched this long is deleted
DRAFT_DAYS = 90
#: the evidence of an approved or rejected application is deleted this long after the decision:
#: the six weeks to object (Awb art. 6:7) and the time to decide on an objection, with margin
EVIDENCE_DAYS = 182


@dataclass(frozen=True)
class Pruned:
    drafts: int
    files: int


def prune(session: Session, *, now: dt.datetime, actor: Actor) -> Pruned:
    """Delete what is kept no longer; one audit row with the counts. Flushes, never commits."""
    stale = list(
        session.scalars(
            select(Application).where(
                Application.status.in_([ApplicationStatus.draft, ApplicationStatus.more_info]),
                Application.updated_at < now - dt.timedelta(days=DRAFT_DAYS),
            )
        )
    )
    files = 0
    for application in stale:
        for item in application.evidence:
            evidence.remove(session, item, now=now)
            files += 1
    ids = [a.id for a in stale]
    if ids:
        session.execute(delete(Evidence).where(Evidence.application_id.in_(ids)))
        session.execute(delete(Application).where(Application.id.in_(ids)))
    decided = session.scalars(
        select(Evidence)
        .join(Application, Application.id == Evidence.application_id)
        .where(
            Application.status.in_([ApplicationStatus.approved, ApplicationStatus.rejected]),
            Application.decided_at < now - dt.timedelta(days=EVIDENCE_DAYS),
            Evidence.deleted_at.is_(None),
        )
    )
    for item in decided:
        evidence.remove(session, item, now=now)
        files += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="applications.prune",
        changes={"drafts": [None, len(ids)], "files": [None, files]},
    )
    return Pruned(len(ids), files)
