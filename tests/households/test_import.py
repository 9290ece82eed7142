"""Granting without an application: the gemeente's list of residents on bijstand, imported."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.casework import operations as casework
from almerepas.core.i18n import translator
from almerepas.holders.overview import entitlements
from almerepas.households import members as households
from almerepas.households.members import Address
from almerepas.households.models import MemberRole
from almerepas.income.assessments import assessment_on
from almerepas.letters.content import paragraphs
from almerepas.letters.models import Letter, LetterChannel
from almerepas.models import AuditEvent, Household, Pass, PassStatus, Person
from almerepas.passes.printing import passes_to_print
from tests.factories import KEYS, TEST_ACTOR
from tests.fixtures import FrozenClock
from tests.households.importing_support import (
    bsns,
    counts,
    person,
    run_import,
    single_parent,
)

TODAY = dt.date(2026, 3, 2)  # tests.fixtures.START, in Almere


def people_of(session: Session, household_id: int, day: dt.date = TODAY) -> list[Person]:
    household = session.get(Household, household_id)
    assert household is not None
    return [m.person for m in households.members_on(household, day)]


def test_a_new_household_is_assessed_and_granted_with_passes_and_a_letter(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    ids = bsns()
    rows = single_parent(ids, "HH-1", "1.401,50")  # exactly the single norm of 2026: 100 %
    report = run_import(reference, rows)

    assert [(o.key, o.status) for o in report.outcomes] == [("HH-1", "new")]
    assert report.refused == []
    household_id = report.outcomes[0].household_id
    household = reference.get(Household, household_id)
    assert household is not None and household.letters_by_post
    assert (household.postcode, household.house_number) == ("1315AB", 12)
    mother, daughter = people_of(reference, household_id)
    assert households.find_person_by_bsn(reference, rows[0]["bsn"], keys=KEYS) is mother
    assessment = assessment_on(reference, household_id, TODAY)
    assert assessment is not None
    assert assessment.net_income == 140150 and assessment.percentage_bp == 10000
    assert assessment.evidence_ref == "bijstand sinds 01-01-2026"
    assert assessment.assessed_by == "staff:consulent"

    # A pass for each, waiting for the card batch that posts it with its letter.
    passes = reference.scalars(select(Pass).where(Pass.person_id.in_([mother.id, daughter.id])))
    new_passes = list(passes)
    assert len(new_passes) == 2 and all(p.status == PassStatus.active for p in new_passes)
    assert {p.id for p in new_passes} <= set(passes_to_print(reference, day=TODAY))

    # What the holder sees on Mijn Almerepas.
    seen = entitlements(reference, [mother, daughter], household, today=TODAY)
    by_whom = {(e.person.given_name if e.person else "huishouden", e.scheme.code) for e in seen}
    assert ("Noor", "stadsfonds") in by_whom  # the child's sport and culture budget
    assert ("Fatima", "volwassenenfonds") in by_whom
    assert ("huishouden", "supermarkt") in by_whom
    assert ("Noor", "ov") in by_whom and ("Fatima", "ov") in by_whom
    assert sorted(report.outcomes[0].granted) == sorted(f"{e.scheme.code} {e.period}" for e in seen)

    # A letter on paper, for the next print batch, saying what the household now has.
    (letter,) = reference.scalars(select(Letter).where(Letter.household_id == household_id))
    assert (letter.kind, letter.channel) == ("granted", LetterChannel.post)
    assert letter.facts["name"] == "Fatima " + mother.family_name
    schemes = {b["scheme_nl"]: b for b in letter.facts["benefits"]}
    assert len(schemes) == len({e.scheme.code for e in seen})
    text = " ".join(p.text for p in paragraphs("granted", letter.facts, translator("nl"), "nl"))
    assert "De gemeente weet uit haar eigen gegevens dat uw inkomen laag is." in text
    assert "de gegevens die de gemeente al van u heeft: bijstand." in text
    assert "Bent u het niet eens met dit besluit?" in text

    # The same file again: no second letter.
    run_import(reference, rows, source="bijstand")
    assert reference.scalar(select(func.count()).select_from(Letter)) == 1


def test_the_run_is_audited_with_its_source_and_the_files_hash(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    report = run_import(reference, single_parent(bsns(), "HH-1", "1.000,00"), source="bijstand")
    run = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "households.import")
    ).one()
    assert run.actor == "staff:consulent" and run.role == "caseworker"
    assert run.changes is not None
    assert run.changes["source"] == "bijstand" and run.changes["sha256"] == report.sha256
    assert len(report.sha256) == 64
    assert (run.changes["rows"], run.changes["new"]) == (2, 1)
    one = reference.scalars(select(AuditEvent).where(AuditEvent.action == "household.import"))
    (row,) = one
    assert row.changes is not None and row.changes["lines"] == [2, 3]
    # The BSNs of the file are in no audit row.
    for event in reference.scalars(select(AuditEvent)):
        for bsn in (r["bsn"] for r in single_parent(bsns(), "HH-1", "1.000,00")):
            assert bsn not in str(event.changes)


def test_a_second_import_of_the_same_file_changes_nothing(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    ids = bsns()
    rows = single_parent(ids, "HH-1", "1.200,00") + single_parent(ids, "HH-2", "900")
    first = run_import(reference, rows)
    assert first.count("new") == 2 and first.changes_anything
    before = counts(reference)

    second = run_import(reference, rows)
    assert [o.status for o in second.outcomes] == ["unchanged", "unchanged"]
    assert not second.changes_anything and second.refused == []
    after = counts(reference)
    assert after.pop("AuditEvent") == before.pop("AuditEvent") + 3  # the run and one per household
    assert after == before


def test_income_above_every_limit_is_not_granted_and_nothing_is_kept(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    # The highest limit is 130 % (volwassenenfonds); 130 % of 1.401,50 is 1.821,95.
    ids = bsns()
    at_limit = single_parent(ids, "BINNEN", "1.821,95", number="1")
    above = single_parent(ids, "BOVEN", "1.821,96", number="2")
    before = counts(reference)
    report = run_import(reference, above + at_limit)
    assert [(o.key, o.status) for o in report.outcomes] == [("BINNEN", "new")]
    assert {(r.key, r.reason) for r in report.refused} == {("BOVEN", "income_above_limit")}
    assert counts(reference)["Household"] == before["Household"] + 1
    assert households.find_person_by_bsn(reference, above[0]["bsn"], keys=KEYS) is None
    granted = report.outcomes[0].granted
    assert any(g.startswith("volwassenenfonds") for g in granted)  # 130 % is inside
    assert not any(g.startswith("supermarkt") for g in granted)  # above its 120 %


BAD_ROWS = {
    "bad_bsn": {"bsn": "123456789"},
    "bad_role": {"rol": "opa"},
    "bad_date": {"geboortedatum": "1985-13-40"},
    "born_in_future": {"geboortedatum": "01-01-2027"},
    "since_in_future": {"sinds": "01-04-2026"},
    "bad_postcode": {"postcode": "ABCD 12"},
    "postcode_outside_almere": {"postcode": "1012 AB"},
    "bad_house_number": {"huisnummer": "12a"},
    "bad_amount": {"netto_per_maand": "veel"},
    "unknown_source": {"inkomensbron": "loterij"},
    "missing_field": {"achternaam": ""},
}


@pytest.mark.parametrize("reason", sorted(BAD_ROWS))
def test_a_row_that_cannot_be_read_is_reported_with_its_reason(
    reference: Session, frozen_clock: FrozenClock, reason: str
) -> None:
    ids = bsns()
    good = single_parent(ids, "GOED", "1.000,00", number="1")
    mother, child = single_parent(ids, "FOUT", "1.000,00", number="2")
    mother = mother | BAD_ROWS[reason]
    report = run_import(reference, [*good, mother, child])
    assert [o.key for o in report.outcomes] == ["GOED"]
    assert [(r.line, r.key, r.reason) for r in report.refused] == [
        (4, "FOUT", reason),
        (5, "FOUT", "household_incomplete"),  # the daughter is not imported without her mother
    ]


def test_household_level_refusals(reference: Session, frozen_clock: FrozenClock) -> None:
    ids = bsns()
    twice = next(ids)
    rows = [
        person(twice, "DUBBEL", "aanvrager", "01-01-1980", income="900"),
        person(twice, "DUBBEL2", "aanvrager", "01-01-1980", income="900", number="3"),
        person(next(ids), "ZONDER", "kind", "01-01-2015", source="geen", number="4"),
        person(next(ids), "ADRES", "aanvrager", "01-01-1980", income="900", number="5"),
        person(next(ids), "ADRES", "partner", "01-01-1981", source="geen", number="6"),
        person(next(ids), "TWEE", "aanvrager", "01-01-1980", income="900", number="7"),
        person(next(ids), "TWEE", "partner", "01-01-1981", source="geen", number="7"),
        person(next(ids), "TWEE", "partner", "01-01-1982", source="geen", number="7"),
    ]
    report = run_import(reference, rows)
    assert report.outcomes == []
    assert [(r.key, r.reason) for r in report.refused] == [
        ("DUBBEL", "duplicate_bsn"),
        ("DUBBEL2", "duplicate_bsn"),
        ("ZONDER", "no_applicant"),
        ("ADRES", "address_differs"),
        ("ADRES", "address_differs"),
        ("TWEE", "second_partner"),
        ("TWEE", "second_partner"),
        ("TWEE", "second_partner"),
    ]


def known_household(session: Session, bsn: str, *, number: int = 40) -> Household:
    """A caseworker registered this mother before, at another address, with her BSN."""
    household = casework.register_household(
        session,
        address=Address(postcode="1321 AA", house_number=number, street="Oude weg"),
        actor=TEST_ACTOR,
    )
    casework.add_person(
        session, household, given_name="Fatima", family_name="Jansen",
        date_of_birth=dt.date(1985, 5, 15), role=MemberRole.applicant,
        valid_from=dt.date(2020, 1, 1), today=TODAY, bsn=bsn, keys=KEYS, actor=TEST_ACTOR,
    )  # fmt: skip
    return household


def test_an_existing_household_is_found_by_bsn_and_updated(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    ids = bsns()
    rows = single_parent(ids, "HH-1", "1.100,00")
    household = known_household(reference, rows[0]["bsn"])
    before = counts(reference)["Household"]
    report = run_import(reference, rows)
    assert [(o.household_id, o.status) for o in report.outcomes] == [(household.id, "changed")]
    assert counts(reference)["Household"] == before
    reference.refresh(household)
    assert (household.postcode, household.house_number) == ("1315AB", 12)  # moved, as the file says
    assert [p.given_name for p in people_of(reference, household.id)] == ["Fatima", "Noor"]
    assessment = assessment_on(reference, household.id, TODAY)
    assert assessment is not None and assessment.net_income == 110000
    assert run_import(reference, rows).changes_anything is False


def test_a_different_birth_date_or_two_known_households_are_left_to_a_caseworker(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    ids = bsns()
    mother, daughter = single_parent(ids, "HH-1", "1.100,00")
    known_household(reference, mother["bsn"], number=41)
    wrong = run_import(reference, [mother | {"geboortedatum": "16-05-1985"}, daughter])
    assert {r.reason for r in wrong.refused} == {"birth_date_differs"}

    father = person(next(ids), "HH-2", "aanvrager", "15-05-1985", income="900", number="9")
    partner = person(mother["bsn"], "HH-2", "partner", "15-05-1985", source="geen", number="9")
    known_household(reference, father["bsn"], number=42)  # a second known household
    split = run_import(reference, [father, partner])
    assert {r.reason for r in split.refused} == {"split_household"}


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(range(7)))
def test_the_order_of_the_rows_does_not_matter(
    reference: Session, frozen_clock: FrozenClock, order: list[int]
) -> None:
    ids = bsns()
    rows = [
        *single_parent(ids, "A", "1.000,00", number="1"),
        *single_parent(ids, "B", "1.800,00", number="2"),  # 128 %: only volwassenenfonds
        *single_parent(ids, "C", "9.000,00", number="3"),  # above every limit
        person(next(ids), "D", "aanvrager", "01-01-1990", income="900", postcode="1012 AB"),
    ]
    shuffled = [rows[n] for n in order]

    def outcome(of: list[dict[str, str]]) -> tuple[object, ...]:
        with reference.begin_nested() as savepoint:
            report = run_import(reference, of)
            result = (
                sorted((o.key, o.status, o.passes, sorted(o.granted)) for o in report.outcomes),
                sorted((r.key, r.reason) for r in report.refused),
            )
            again = run_import(reference, of)
            savepoint.rollback()
        assert not again.changes_anything  # idempotent in any order
        return result

    assert outcome(shuffled) == outcome(rows)


def test_a_baby_in_the_next_extract_changes_the_household(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    ids = bsns()
    rows = single_parent(ids, "HH-1", "1.200,00")
    first = run_import(reference, rows)
    household_id = first.outcomes[0].household_id
    frozen_clock.advance(days=1)  # the next day's extract
    baby = person(next(ids), "HH-1", "kind", "01-03-2026", name="Lina", source="geen")
    report = run_import(reference, [*rows, baby])
    assert [(o.household_id, o.status, o.passes) for o in report.outcomes] == [
        (household_id, "changed", 1)
    ]
    next_day = dt.date(2026, 3, 3)
    assert [p.given_name for p in people_of(reference, household_id, next_day)] == [
        "Fatima", "Noor", "Lina",
    ]  # fmt: skip
    assessment = assessment_on(reference, household_id, next_day)
    assert assessment is not None and assessment.valid_from == dt.date(2026, 3, 3)
    assert assessment.net_income == 120000  # the same income, assessed again for the new norm
    granted = report.outcomes[0].granted
    assert granted == ["ov 2026-03"]  # the baby's free bus; nothing twice for the others


def test_the_import_grants_only_its_own_households(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    ids = bsns()
    other = known_household(reference, next(ids))
    casework.assess(reference, other, net_income=50000, assessed_on=TODAY, actor=TEST_ACTOR)
    run_import(reference, single_parent(ids, "HH-1", "1.000,00"))
    (mother,) = people_of(reference, other.id)
    assert entitlements(reference, [mother], other, today=TODAY) == []  # left to the grant run
