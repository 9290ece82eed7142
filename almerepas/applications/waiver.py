"""The list for the tax department's remission (kwijtschelding): who is within a limit on a day.

Only what the tax department needs to grant the remission without asking the resident again:
the applicant's BSN (its own key for the tax assessment), the household's size, the band of the
income (never the income itself) and until when the assessment holds. docs/one-desk.md
("Kwijtschelding: de export") gives the layout and why it stops there.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.crypto import Keyring
from almerepas.households.members import members_on, reveal_bsn
from almerepas.households.models import Household, MemberRole
from almerepas.income.models import IncomeAssessment
from almerepas.income.rules import within_limit

COLUMNS = ("bsn_aanvrager", "huishoudgrootte", "inkomen_tot_en_met_procent", "geldig_tot")
#: Bands of this many percentage points of the norm, from 100 % up.
BAND_STEP = 10


@dataclass(frozen=True)
class WaiverLine:
    bsn: str
    size: int
    #: the income is at most this percentage of the norm (and above the band below it)
    band: int
    valid_until: dt.date


@dataclass
class WaiverExport:
    lines: list[WaiverLine]
    #: households within the limit that could not be listed: no applicant with a BSN that day
    without_bsn: int

    def csv(self) -> bytes:
        """Semicolons and a header, as the import; the bytes the audit row's hash is of."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for line in self.lines:
            writer.writerow([line.bsn, line.size, line.band, f"{line.valid_until:%d-%m-%Y}"])
        return out.getvalue().encode("utf-8")


def band(net_income: int, norm: int, limit: int) -> int:
    """The smallest step of ``BAND_STEP`` from 100 % that the income is within, at most the
    limit; exact, as the schemes' own limit (``within_limit``)."""
    top = 100
    while top < limit and not within_limit(net_income, norm, top):
        top += BAND_STEP
    return min(top, limit)


def waiver_export(session: Session, *, on: dt.date, limit: int, keys: Keyring) -> WaiverExport:
    """The households living in the gemeente on ``on`` (the move-out day is the last, as for the
    grant run) whose assessment then is within ``limit`` % of its norm (the norm the caseworker's
    decision rests on, copied on the assessment)."""
    found = session.scalars(
        select(IncomeAssessment)
        .join(Household, Household.id == IncomeAssessment.household_id)
        .where(IncomeAssessment.valid_from <= on, IncomeAssessment.valid_to >= on)
        .where(or_(Household.moved_out_on.is_(None), Household.moved_out_on >= on))
        .order_by(IncomeAssessment.household_id, IncomeAssessment.valid_from)
    ).all()
    holding: dict[int, IncomeAssessment] = {}
    for assessment in found:  # of overlapping ones, the one that starts last holds
        holding[assessment.household_id] = assessment
    lines: list[WaiverLine] = []
    without_bsn = 0
    for household_id, assessment in holding.items():
        if not within_limit(assessment.net_income, assessment.norm_amount, limit):
            continue
        household = session.get(Household, household_id)
        assert household is not None  # noqa: S101 - joined above
        present = members_on(household, on)
        applicant = next((m.person for m in present if m.role == MemberRole.applicant), None)
        bsn = reveal_bsn(applicant, keys=keys) if applicant is not None else None
        if bsn is None:
            without_bsn += 1
            continue
        lines.append(
            WaiverLine(
                bsn,
                len(present),
                band(assessment.net_income, assessment.norm_amount, limit),
                assessment.valid_to,
            )
        )
    return WaiverExport(sorted(lines, key=lambda line: line.bsn), without_bsn)


def record_export(
    session: Session, export: WaiverExport, *, on: dt.date, limit: int, actor: Actor
) -> str:
    """The ``households.export_waiver`` audit row: what was asked, how many, the file's hash
    (never a BSN). Returns the hash."""
    digest = hashlib.sha256(export.csv()).hexdigest()
    audit.record(
        session,
        actor=actor,
        action="households.export_waiver",
        changes={
            "on": on.isoformat(),
            "limit": limit,
            "households": len(export.lines),
            "not_listed": export.without_bsn,  # no applicant with a number that day
            "sha256": digest,
        },
    )
    return digest
