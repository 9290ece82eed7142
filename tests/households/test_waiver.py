"""The list for the tax department's remission: within the limit on a day, and nothing more."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.applications import waiver
from almerepas.casework import operations as casework
from almerepas.households.members import Address
from almerepas.households.models import Household, MemberRole
from almerepas.models import AuditEvent
from tests.factories import KEYS, TEST_ACTOR
from tests.households.importing_support import ACTOR, bsns

ON = dt.date(2026, 3, 2)
SINGLE_NORM = 140150  # single, 21 to pension age, first half of 2026
EXACTLY_120 = SINGLE_NORM * 120 // 100  # 168180: exactly 120 %, no rounding


def assessed(
    session: Session, bsn: str | None, income: int, *, children: int = 0, number: int = 1
) -> Household:
    household = casework.register_household(
        session,
        address=Address(postcode="1315 AB", house_number=number, street="Stadhuisplein"),
        actor=TEST_ACTOR,
    )
    casework.add_person(
        session, household, given_name="Ali", family_name="Demir",
        date_of_birth=dt.date(1980, 1, 1), role=MemberRole.applicant,
        valid_from=dt.date(2020, 1, 1), today=ON, bsn=bsn, keys=KEYS, actor=TEST_ACTOR,
    )  # fmt: skip
    for n in range(children):
        casework.add_person(
            session, household, given_name=f"Kind{n}", family_name="Demir",
            date_of_birth=dt.date(2015, 1, 1), role=MemberRole.child,
            valid_from=dt.date(2020, 1, 1), today=ON, keys=KEYS, actor=TEST_ACTOR,
        )  # fmt: skip
    session.refresh(household)
    casework.assess(
        session, household, net_income=income, assessed_on=dt.date(2026, 1, 5), actor=TEST_ACTOR
    )
    return household


def rows_of(export: waiver.WaiverExport) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export.csv().decode()), delimiter=";"))


def test_exactly_at_the_limit_is_in_and_a_cent_above_is_out(
    reference: Session,
) -> None:
    ids = bsns()
    at, above, low = next(ids), next(ids), next(ids)
    assessed(reference, at, EXACTLY_120, number=1)
    assessed(reference, above, EXACTLY_120 + 1, number=2)
    assessed(reference, low, 90000, children=2, number=3)  # 64 %, single parent with two
    export = waiver.waiver_export(reference, on=ON, limit=120, keys=KEYS)
    assert rows_of(export) == sorted(
        [
            {
                "bsn_aanvrager": at,
                "huishoudgrootte": "1",
                "inkomen_tot_en_met_procent": "120",
                "geldig_tot": export.lines[0].valid_until.strftime("%d-%m-%Y"),
            },
            {
                "bsn_aanvrager": low,
                "huishoudgrootte": "3",
                "inkomen_tot_en_met_procent": "100",
                "geldig_tot": export.lines[0].valid_until.strftime("%d-%m-%Y"),
            },
        ],
        key=lambda row: row["bsn_aanvrager"],
    )
    assert export.lines[0].valid_until == dt.date(2027, 1, 4)  # twelve months from 5 January
    assert list(rows_of(export)[0]) == list(waiver.COLUMNS)  # nothing else: no income, no name
    wider = waiver.waiver_export(reference, on=ON, limit=121, keys=KEYS)
    assert above in {line.bsn for line in wider.lines}


def test_bands_of_ten_from_a_hundred() -> None:
    assert waiver.band(SINGLE_NORM, SINGLE_NORM, 120) == 100
    assert waiver.band(SINGLE_NORM + 1, SINGLE_NORM, 120) == 110
    assert waiver.band(SINGLE_NORM * 110 // 100, SINGLE_NORM, 120) == 110
    assert waiver.band(EXACTLY_120, SINGLE_NORM, 120) == 120
    assert waiver.band(0, SINGLE_NORM, 90) == 90  # a limit under 100 % is its own band


def test_on_a_day_without_an_assessment_or_after_moving_out_nobody_is_listed(
    reference: Session,
) -> None:
    ids = bsns()
    stayed = assessed(reference, next(ids), 100000, number=1)
    left = assessed(reference, next(ids), 100000, number=2)
    casework.move_out(reference, left, day=dt.date(2026, 2, 28), actor=TEST_ACTOR)
    listed = waiver.waiver_export(reference, on=ON, limit=120, keys=KEYS).lines
    assert [line.size for line in listed] == [1]
    before = waiver.waiver_export(reference, on=dt.date(2026, 1, 4), limit=120, keys=KEYS)
    assert before.lines == []
    assert stayed.id  # listed above, as the only one


def test_an_applicant_without_a_bsn_is_counted_not_listed(reference: Session) -> None:
    assessed(reference, None, 100000)
    export = waiver.waiver_export(reference, on=ON, limit=120, keys=KEYS)
    assert (export.lines, export.without_bsn) == ([], 1)


def test_the_export_is_audited_with_the_files_hash_and_no_bsn(reference: Session) -> None:
    bsn = next(bsns())
    assessed(reference, bsn, 100000)
    export = waiver.waiver_export(reference, on=ON, limit=120, keys=KEYS)
    digest = waiver.record_export(reference, export, on=ON, limit=120, actor=ACTOR)
    assert digest == hashlib.sha256(export.csv()).hexdigest()
    event = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "households.export_waiver")
    ).one()
    assert event.actor == "staff:consulent"
    assert event.changes == {
        "on": "2026-03-02",
        "limit": 120,
        "households": 1,
        "not_listed": 0,
        "sha256": digest,
    }
    assert bsn not in str(event.changes)
