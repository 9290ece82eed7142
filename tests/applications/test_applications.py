"""Applications (issue 13): what is typed is read the Dutch way, evidence is checked by its
content, a submission counts once, and approval registers, assesses, issues and grants."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.applications import deciding, drafting, evidence, retention, submitting
from almerepas.applications.models import Application, ApplicationStatus, Evidence
from almerepas.casework import operations as casework
from almerepas.core import clock, gemeente
from almerepas.core.i18n import translator
from almerepas.holders.overview import entitlements
from almerepas.households.members import Address
from almerepas.letters.content import plain_text
from almerepas.letters.models import Letter
from almerepas.models import AuditEvent, Grant, IncomeAssessment, MemberRole, Pass, Scheme
from almerepas.passes.operations import active_pass
from tests.applications.support import answers, fake_pdf, pdf_bytes, png_bytes
from tests.factories import KEYS, TEST_ACTOR
from tests.fixtures import FrozenClock
from tests.uploads.support import stored

TODAY = dt.date(2026, 3, 2)
MB = 1024 * 1024


def _draft(session: Session, **changes: dict[str, str]) -> Application:
    application, _code = drafting.start(session, now=clock.now(), actor=TEST_ACTOR)
    application.answers = answers(**changes)
    session.flush()
    return application


def _submitted(session: Session) -> Application:
    application = _draft(session)
    evidence.add(
        session, application, pdf_bytes(), max_bytes=5 * MB,
        now=clock.now(), actor=TEST_ACTOR,
    )  # fmt: skip
    done = submitting.submit(
        session, application, token="t1", today=TODAY, now=clock.now(), actor=TEST_ACTOR
    )
    assert done.errors == []
    return application


def _errors(session: Session, **changes: dict[str, str]) -> dict[str, str]:
    return dict(drafting.read(session, answers(**changes), TODAY).errors)


def test_what_was_typed_is_read_the_dutch_way(reference: Session) -> None:
    found = drafting.read(reference, answers(), TODAY)
    assert found.errors == []
    assert [m.given_name for m in found.members] == ["Fatima", "Sami", "Noor"]
    assert found.address is not None and found.address.postcode == "1315AB"
    assert found.incomes[0].amount == 123456  # 1.234,56 in cents


@pytest.mark.parametrize("typed", ["12,345", "1,234.5.6", "-100", "twaalf", "12.34.56"])
def test_an_amount_not_written_as_euros_is_refused_with_how_to_write_it(
    reference: Session, typed: str
) -> None:
    income = {"income-0-member": "0", "income-0-kind": "benefit", "income-0-amount": typed}
    assert "1.234,56" in _errors(reference, income=income)["income-0-amount"]


def test_bad_members_are_named_at_their_field(reference: Session) -> None:
    future = dict(answers()["members"], **{"member-1-born": "01-01-2027"})
    assert "toekomst" in _errors(reference, members=future)["member-1-born"]
    assert "minstens één persoon" in _errors(reference, members={})["member-0-given_name"]
    two = dict(answers()["members"], **{"member-1-role": "applicant"})
    assert "precies één persoon" in _errors(reference, members=two)["member-0-role"]
    child = dict(answers()["members"], **{"member-0-born": "01-01-2012"})
    assert "18 jaar" in _errors(reference, members=child)["member-0-born"]


def test_an_address_outside_almere_is_refused(reference: Session) -> None:
    amsterdam = dict(answers()["address"], postcode="1011 AB")
    refusal = gemeente.current().fill(_errors(reference, address=amsterdam)["postcode"])
    assert "niet in Almere" in refusal
    assert "1315 AB" in _errors(reference, address=dict(amsterdam, postcode="13"))["postcode"]


def test_evidence_is_checked_by_its_content_and_stored_under_a_random_id(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    application = _draft(reference)
    for data, kind in ((pdf_bytes(), "application/pdf"), (png_bytes(), "image/png")):
        item = evidence.add(
            reference, application, data, max_bytes=5 * MB,
            now=clock.now(), actor=TEST_ACTOR,
        )  # fmt: skip
        assert item.content_type == kind
        assert item.sha256 == hashlib.sha256(data).hexdigest()
        assert stored(reference)[item.file_id] == data and len(item.file_id) == 32
        assert evidence.read(reference, item) == data
    for refused in (fake_pdf(), b"gewoon tekst", b""):
        with pytest.raises(evidence.Refused):
            evidence.add(
                reference, application, refused, max_bytes=5 * MB,
                now=clock.now(), actor=TEST_ACTOR,
            )  # fmt: skip
    with pytest.raises(evidence.Refused, match="te groot"):
        evidence.add(
            reference, application, png_bytes((400, 400)), max_bytes=1000,
            now=clock.now(), actor=TEST_ACTOR,
        )  # fmt: skip
    assert len(stored(reference)) == 2  # nothing kept of what was refused


def test_a_submission_counts_once_and_needs_evidence(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    bare = _draft(reference)
    done = submitting.submit(
        reference, bare, token="a", today=TODAY, now=clock.now(), actor=TEST_ACTOR
    )
    assert dict(done.errors).keys() == {"evidence"} and bare.status == ApplicationStatus.draft

    application = _submitted(reference)
    again = submitting.submit(
        reference, application, token="t1", today=TODAY, now=clock.now(), actor=TEST_ACTOR
    )
    assert again.again and again.errors == []
    submits = select(AuditEvent).where(AuditEvent.action == "application.submit")
    assert len(reference.scalars(submits).all()) == 1


def test_approval_registers_assesses_issues_passes_and_grants_the_proposal(
    keyed: Session, frozen_clock: FrozenClock
) -> None:
    db = keyed
    application = _submitted(db)
    found = drafting.read(db, application.answers, TODAY)
    proposal = submitting.proposal(db, found, TODAY)
    assert proposal is not None
    household = deciding.approve(
        db, application, actor=TEST_ACTOR, keys=KEYS, today=TODAY, now=clock.now()
    )
    assert application.status == ApplicationStatus.approved
    assert application.household_id == household.id
    people = [m.person for m in household.memberships]
    assert [p.given_name for p in people] == ["Fatima", "Sami", "Noor"]
    assessment = db.scalars(
        select(IncomeAssessment).where(IncomeAssessment.household_id == household.id)
    ).one()
    assert assessment.net_income == 123456
    assert all(active_pass(db, p.id) is not None for p in people)
    granted = set(
        db.scalars(
            select(Scheme.code)
            .join(Grant, Grant.scheme_id == Scheme.id)
            .where(
                (Grant.household_id == household.id) | Grant.person_id.in_([p.id for p in people])
            )
        )
    )
    assert granted == {a.scheme.code for a in proposal if a.eligible}
    assert granted  # this household is entitled to something
    # what the holder sees on Mijn Almerepas
    seen = {e.scheme.code for e in entitlements(db, people, household, today=TODAY)}
    assert seen == granted
    actions = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    for action in ("household.create", "assessment.create", "pass.issue", "application.approve"):
        assert action in actions
    assert db.scalar(select(Pass.id).where(Pass.person_id == people[0].id)) is not None
    # The approval letter, in the household's channel, names every scheme it got.
    [letter] = db.scalars(select(Letter).where(Letter.household_id == household.id)).all()
    assert letter.kind == "approved" and letter.facts["name"] == "Fatima " + people[0].family_name
    text = plain_text("approved", letter.facts, translator("nl"), "nl")
    for scheme in db.scalars(select(Scheme).where(Scheme.code.in_(granted))):
        assert scheme.name_nl in text
    with pytest.raises(deciding.NotDecidable):
        deciding.approve(db, application, actor=TEST_ACTOR, keys=KEYS, today=TODAY, now=clock.now())


def test_more_information_goes_back_to_the_resident_who_submits_again(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    application = _submitted(reference)
    deciding.ask_for_information(
        reference, application, "Stuur ook de loonstrook van februari.",
        actor=TEST_ACTOR, keys=KEYS, now=clock.now(), today=TODAY,
        link="https://almerepas.example/aanvragen",
    )  # fmt: skip
    assert application.status == ApplicationStatus.more_info and drafting.editable(application)
    # The letter says what is needed, by when, and where to add it.
    [letter] = reference.scalars(select(Letter).where(Letter.kind == "more_info")).all()
    text = plain_text("more_info", letter.facts, translator("nl"), "nl")
    assert "Stuur ook de loonstrook van februari." in text
    assert "Stuur het ons vóór 30 maart 2026. Ga naar https://almerepas.example/aanvragen" in text
    done = submitting.submit(
        reference, application, token="t2", today=TODAY, now=clock.now(), actor=TEST_ACTOR
    )
    assert done.errors == [] and not done.again
    assert application.status.value == "submitted"


def test_a_rejection_keeps_its_reason(reference: Session, frozen_clock: FrozenClock) -> None:
    application = _submitted(reference)
    deciding.reject(
        reference, application, "income_above", "Uw loon is € 2.900.",
        actor=TEST_ACTOR, keys=KEYS, now=clock.now(), today=TODAY,
    )  # fmt: skip
    assert application.status == ApplicationStatus.rejected
    assert (application.decision_reason, application.decision_note) == (
        "income_above",
        "Uw loon is € 2.900.",
    )
    assert not drafting.editable(application)
    [letter] = reference.scalars(select(Letter).where(Letter.kind == "rejected")).all()
    text = plain_text("rejected", letter.facts, translator("nl"), "nl")
    assert "Uw inkomen is hoger dan de grens van de regeling." in text
    assert "Uw loon is € 2.900." in text and "Bent u het niet eens met dit besluit?" in text


def test_old_drafts_and_the_evidence_of_old_decisions_are_pruned(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    draft = _draft(reference)
    evidence.add(
        reference, draft, png_bytes(), max_bytes=5 * MB,
        now=clock.now(), actor=TEST_ACTOR,
    )  # fmt: skip
    decided = _submitted(reference)
    deciding.reject(reference, decided, "other", "Verhuisd.", actor=TEST_ACTOR, keys=KEYS,
                    now=clock.now(), today=TODAY)  # fmt: skip
    kept = drafting.start(reference, now=clock.now(), actor=TEST_ACTOR)[0]

    frozen_clock.advance(days=retention.DRAFT_DAYS - 1)
    drafting.save_step(kept, "members", {}, now=clock.now(), actor=TEST_ACTOR)
    frozen_clock.advance(days=2)
    first = retention.prune(reference, now=clock.now(), actor=TEST_ACTOR)
    assert (first.drafts, first.files) == (1, 1)
    assert reference.get(Application, kept.id) is not None
    # the rejected one's evidence, still in its term
    assert list(stored(reference)) == [row.file_id for row in decided.evidence]

    frozen_clock.advance(days=retention.EVIDENCE_DAYS)
    second = retention.prune(reference, now=clock.now(), actor=TEST_ACTOR)
    assert (second.drafts, second.files) == (1, 1)  # the kept draft is old by now too
    assert stored(reference) == {}  # the bytes are gone from the database, not just marked
    row = reference.scalars(select(Evidence).where(Evidence.application_id == decided.id)).one()
    assert row.deleted_at is not None and row.sha256  # the record that it was seen stays


def test_the_prune_command_runs_and_reports(
    app: Flask, runner: FlaskCliRunner, db: Session
) -> None:
    result = runner.invoke(args=["applications", "prune"])
    assert result.exit_code == 0, result.output
    assert "0 concepten en 0 bestanden verwijderd" in result.output
    assert db.scalars(select(AuditEvent.action)).all() == ["applications.prune"]


def test_approval_updates_the_household_the_applicant_already_lives_in(
    keyed: Session, frozen_clock: FrozenClock
) -> None:
    db = keyed
    known = casework.register_household(
        db, address=Address("1315AB", 99, "Grote Markt"), actor=TEST_ACTOR
    )
    for given, born in (("fatima", dt.date(1990, 4, 2)), ("Sami", dt.date(2014, 6, 1))):
        casework.add_person(
            db, known, given_name=given, family_name="El Amrani", date_of_birth=born,
            role=MemberRole.applicant if given == "fatima" else MemberRole.child,
            valid_from=dt.date(2020, 1, 1), today=TODAY, keys=KEYS, actor=TEST_ACTOR,
        )  # fmt: skip
    db.refresh(known)
    application = _submitted(db)
    household = deciding.approve(
        db, application, actor=TEST_ACTOR, keys=KEYS, today=TODAY, now=clock.now()
    )
    assert household.id == known.id
    assert (household.street, household.house_number) == ("Stadhuisplein", 12)
    assert household.email == "fatima@example.nl"
    names = sorted(m.person.given_name for m in household.memberships)
    assert names == ["Noor", "Sami", "fatima"]  # Noor moved in; nobody twice
    assert all(active_pass(db, m.person_id) for m in household.memberships)
    actions = list(db.scalars(select(AuditEvent.action)))
    assert actions.count("household.create") == 1  # only the one made above
    assert "household.address_change" in actions and "household.contact_change" in actions
