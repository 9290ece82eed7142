"""Issue, block, replace, reissue and expire: who may have a pass, what each step leaves
behind, and the audit row each writes. Domain operations, called directly (no app)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.casework import operations as casework
from almerepas.core.errors import NotFound, ValidationFailed
from almerepas.models import AuditEvent, Household, MemberRole, Pass, PassStatus, Person
from almerepas.passes import credentials, numbers
from almerepas.passes import operations as passes
from almerepas.passes.credential_errors import CredentialRefused
from almerepas.passes.errors import (
    InvalidPassNumber,
    NotLivingInGemeente,
    PassExists,
    PassNotActive,
    PassNotReissuable,
)
from almerepas.passes.models import BlockReason
from almerepas.passes.queries import household_passes, latest_per_person
from almerepas.passes.verify import verify_code
from tests.factories import KEYS, TEST_ACTOR, make_household
from tests.fixtures import START, FrozenClock

A, P, C = MemberRole.applicant, MemberRole.partner, MemberRole.child
#: A moment in Almere's March 2026; frozen_clock starts at the same moment.
NOW = START
TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def family(reference: Session, frozen_clock: FrozenClock) -> Household:
    return make_household(
        reference, [(A, dt.date(1988, 1, 1)), (C, dt.date(2015, 6, 1))], since=dt.date(2024, 1, 1)
    )


def member(household: Household, n: int) -> Person:
    return household.memberships[n].person


def events(session: Session, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(session.scalars(query))


def test_issue_gives_a_valid_number_and_the_common_validity(
    reference: Session, family: Household
) -> None:
    pass_ = passes.issue_pass(reference, member(family, 1), actor=TEST_ACTOR, now=NOW)
    assert numbers.is_valid_number(pass_.number) and len(pass_.number) == 13
    assert (pass_.status, pass_.generation) == (PassStatus.active, 1)
    assert (pass_.valid_from, pass_.valid_until) == (TODAY, dt.date(2027, 12, 31))
    [event] = events(reference, "pass.issue")
    assert (event.actor, event.entity_type, event.entity_id) == ("test", "pass", str(pass_.id))
    assert event.changes == {
        "person": [None, pass_.person_id],
        "number": [None, pass_.number],
        "status": [None, "active"],
        "generation": [None, 1],
        "valid_from": [None, "2026-03-02"],
        "valid_until": [None, "2027-12-31"],
    }


def test_the_validity_is_the_same_for_everyone_issued_in_a_year(
    reference: Session, family: Household
) -> None:
    """Whatever their income: the adult and the child, in March and in December."""
    adult = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    december = dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC)  # 23:30 in Almere: still 2026
    child = passes.issue_pass(reference, member(family, 1), actor=TEST_ACTOR, now=december)
    assert adult.valid_until == child.valid_until == dt.date(2027, 12, 31)
    assert passes.valid_until_for(dt.date(2027, 1, 1)) == dt.date(2028, 12, 31)


def test_a_day_in_almere_starts_at_local_midnight(reference: Session, family: Household) -> None:
    new_year = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)  # 00:30 on 1 January in Almere
    pass_ = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=new_year)
    assert (pass_.valid_from, pass_.valid_until) == (dt.date(2027, 1, 1), dt.date(2028, 12, 31))


def test_a_second_pass_that_works_is_refused(reference: Session, family: Household) -> None:
    passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    with pytest.raises(PassExists):
        passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    assert len(events(reference, "pass.issue")) == 1


def test_the_schema_keeps_one_active_pass_per_person(reference: Session, family: Household) -> None:
    """Two caseworkers at the same moment get past the check together; the index stops one."""
    first = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    twin = Pass(number=numbers.random_number(), person_id=first.person_id,
                status=PassStatus.active, generation=1, valid_from=TODAY,
                valid_until=first.valid_until)  # fmt: skip
    with pytest.raises(IntegrityError), reference.begin_nested():
        reference.add(twin)
        reference.flush()


def test_only_residents_of_almere_get_a_pass(reference: Session, family: Household) -> None:
    child = member(family, 1)
    casework.record_departure(
        reference, family, family.memberships[1], last_day=dt.date(2026, 2, 28), actor=TEST_ACTOR
    )
    with pytest.raises(NotLivingInGemeente):
        passes.issue_pass(reference, child, actor=TEST_ACTOR, now=NOW)
    # Someone living in Almere from a later day gets one from that day on, not before.
    later = make_household(reference, [(A, dt.date(1990, 1, 1))], since=dt.date(2026, 4, 1))
    with pytest.raises(NotLivingInGemeente):
        passes.issue_pass(reference, member(later, 0), actor=TEST_ACTOR, now=NOW)
    assert events(reference, "pass.issue") == []


def test_a_household_that_moved_out_gets_no_pass(reference: Session, family: Household) -> None:
    # Recorded ahead: the last day in Almere is 10 March; on that day nobody gets a new pass.
    casework.move_out(reference, family, day=dt.date(2026, 3, 10), actor=TEST_ACTOR)
    on_the_day = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
    with pytest.raises(NotLivingInGemeente):
        passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=on_the_day)
    assert passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)


def test_a_shorter_validity_may_be_given_never_a_longer_one(
    reference: Session, family: Household
) -> None:
    with pytest.raises(ValidationFailed):
        passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW,
                          valid_until=dt.date(2028, 1, 1))  # fmt: skip
    with pytest.raises(ValidationFailed):
        passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW,
                          valid_until=dt.date(2026, 3, 1))  # fmt: skip
    short = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW,
                              valid_until=dt.date(2026, 12, 31))  # fmt: skip
    assert short.valid_until == dt.date(2026, 12, 31)


def test_a_number_that_exists_is_drawn_again(
    reference: Session, family: Household, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW).number
    fresh = numbers.with_check_digit("900000000001")
    draws = iter([taken, taken, fresh])
    monkeypatch.setattr(numbers, "random_number", lambda: next(draws))
    second = passes.issue_pass(reference, member(family, 1), actor=TEST_ACTOR, now=NOW)
    assert second.number == fresh


def test_block_stops_the_pass_and_says_why(reference: Session, family: Household) -> None:
    pass_ = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    later = NOW + dt.timedelta(days=3)
    passes.block_pass(reference, pass_, reason=BlockReason.stolen, actor=TEST_ACTOR, now=later)
    assert (pass_.status, pass_.block_reason) == (PassStatus.blocked, "stolen")
    assert pass_.status_changed_at == later
    [event] = events(reference, "pass.block")
    assert event.entity_id == str(pass_.id)
    assert event.changes == {"status": ["active", "blocked"], "block_reason": [None, "stolen"]}
    with pytest.raises(PassNotActive):
        passes.block_pass(reference, pass_, reason=BlockReason.lost, actor=TEST_ACTOR, now=later)


def test_replace_makes_the_next_generation_with_a_new_number(
    reference: Session, family: Household
) -> None:
    old = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    later = NOW + dt.timedelta(days=40)
    new = passes.replace_pass(reference, old, actor=TEST_ACTOR, now=later)
    assert old.status == PassStatus.replaced and old.status_changed_at == later
    assert (new.status, new.generation, new.replaces_id) == (PassStatus.active, 2, old.id)
    assert new.number != old.number and numbers.is_valid_number(new.number)
    assert (new.valid_from, new.valid_until) == (dt.date(2026, 4, 11), old.valid_until)
    [event] = events(reference, "pass.replace")
    assert event.entity_id == str(new.id)
    assert event.changes is not None
    assert event.changes["replaces"] == [None, old.id]
    assert event.changes["generation"] == [None, 2]
    assert event.changes[f"pass_{old.id}.status"] == ["active", "replaced"]
    # A replaced pass is not replaced or blocked again; its successor is.
    with pytest.raises(PassNotActive):
        passes.replace_pass(reference, old, actor=TEST_ACTOR, now=later)
    third = passes.replace_pass(reference, new, actor=TEST_ACTOR, now=later)
    assert third.generation == 3


def test_a_lost_card_is_blocked_and_then_replaced(reference: Session, family: Household) -> None:
    old = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    passes.block_pass(reference, old, reason=BlockReason.lost, actor=TEST_ACTOR, now=NOW)
    new = passes.replace_pass(reference, old, actor=TEST_ACTOR, now=NOW)
    assert (old.status, old.block_reason, new.generation) == (PassStatus.replaced, "lost", 2)
    [event] = events(reference, "pass.replace")
    assert event.changes is not None
    assert event.changes[f"pass_{old.id}.status"] == ["blocked", "replaced"]


def test_an_expired_pass_is_not_replaced_but_reissued(
    reference: Session, family: Household
) -> None:
    old = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    next_year = dt.datetime(2028, 1, 3, 9, 0, tzinfo=dt.UTC)
    with pytest.raises(PassNotActive):  # active still, the batch has not run: but past its end
        passes.replace_pass(reference, old, actor=TEST_ACTOR, now=next_year)
    new = passes.reissue_pass(reference, old, actor=TEST_ACTOR, now=next_year)
    assert old.status == PassStatus.expired
    assert (new.generation, new.replaces_id, new.valid_until) == (2, old.id, dt.date(2029, 12, 31))
    [event] = events(reference, "pass.reissue")
    assert event.changes is not None
    assert event.changes[f"pass_{old.id}.status"] == ["active", "expired"]


def test_reissue_is_for_expired_and_blocked_passes_only(
    reference: Session, family: Household
) -> None:
    pass_ = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    with pytest.raises(PassNotReissuable):  # it still works
        passes.reissue_pass(reference, pass_, actor=TEST_ACTOR, now=NOW)
    passes.block_pass(reference, pass_, reason=BlockReason.other, actor=TEST_ACTOR, now=NOW)
    new = passes.reissue_pass(reference, pass_, actor=TEST_ACTOR, now=NOW)
    assert pass_.status == PassStatus.blocked  # stays blocked: the log says why
    assert (new.generation, new.valid_until) == (2, dt.date(2027, 12, 31))
    with pytest.raises(PassNotReissuable):  # once
        passes.reissue_pass(reference, pass_, actor=TEST_ACTOR, now=NOW)
    replaced = passes.replace_pass(reference, new, actor=TEST_ACTOR, now=NOW)
    with pytest.raises(PassNotReissuable):  # a replaced pass has its successor already
        passes.reissue_pass(reference, new, actor=TEST_ACTOR, now=NOW)
    assert replaced.generation == 3


def test_nobody_who_left_almere_gets_a_new_pass(reference: Session, family: Household) -> None:
    old = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    casework.move_out(reference, family, day=dt.date(2026, 3, 5), actor=TEST_ACTOR)
    later = NOW + dt.timedelta(days=10)
    with pytest.raises(NotLivingInGemeente):
        passes.replace_pass(reference, old, actor=TEST_ACTOR, now=later)
    passes.block_pass(reference, old, reason=BlockReason.lost, actor=TEST_ACTOR, now=later)
    with pytest.raises(NotLivingInGemeente):
        passes.reissue_pass(reference, old, actor=TEST_ACTOR, now=later)


def test_expire_ends_the_passes_past_their_end_date(reference: Session, family: Household) -> None:
    adult = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    child = passes.issue_pass(reference, member(family, 1), actor=TEST_ACTOR, now=NOW,
                              valid_until=dt.date(2026, 12, 31))  # fmt: skip
    last_day = dt.datetime(2026, 12, 31, 22, 59, tzinfo=dt.UTC)  # 23:59 in Almere
    assert passes.expire_passes(reference, actor=TEST_ACTOR, now=last_day) == 0
    new_year = dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC)  # midnight in Almere
    assert passes.expire_passes(reference, actor=TEST_ACTOR, now=new_year) == 1
    assert (adult.status, child.status) == (PassStatus.active, PassStatus.expired)
    assert child.status_changed_at == new_year
    [event] = events(reference, "pass.expire")
    assert (event.entity_id, event.changes) == (str(child.id), {"status": ["active", "expired"]})
    assert passes.expire_passes(reference, actor=TEST_ACTOR, now=new_year) == 0


def test_a_pass_is_found_by_its_number_as_people_type_it(
    reference: Session, family: Household
) -> None:
    pass_ = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    assert passes.find_pass(reference, numbers.grouped(pass_.number)) is pass_
    typo = pass_.number[:-2] + pass_.number[-1] + pass_.number[-2]
    if typo != pass_.number:
        with pytest.raises(InvalidPassNumber):
            passes.find_pass(reference, typo)
    with pytest.raises(NotFound):
        passes.find_pass(reference, numbers.with_check_digit("100000000000"))


def test_household_passes_are_those_of_who_lives_there(
    reference: Session, family: Household, count_queries: Any
) -> None:
    adult, child = member(family, 0), member(family, 1)
    first = passes.issue_pass(reference, adult, actor=TEST_ACTOR, now=NOW)
    second = passes.replace_pass(reference, first, actor=TEST_ACTOR, now=NOW)
    kid = passes.issue_pass(reference, child, actor=TEST_ACTOR, now=NOW)
    elsewhere = make_household(reference, [(A, dt.date(1970, 1, 1))])
    passes.issue_pass(reference, member(elsewhere, 0), actor=TEST_ACTOR, now=NOW)
    with count_queries() as counted:
        found = household_passes(reference, family.id, TODAY)
    assert counted.statements == 1, counted.report()
    assert found == [second, first, kid]
    assert latest_per_person(found) == {adult.id: second, child.id: kid}
    casework.record_departure(
        reference, family, family.memberships[1], last_day=dt.date(2026, 3, 31), actor=TEST_ACTOR
    )
    assert household_passes(reference, family.id, dt.date(2026, 4, 1)) == [second, first]


# -- stopping credentials ------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["block", "replace"])
def test_block_and_replace_stop_the_old_card_code_at_once(
    keyed: Session, family: Household, how: str
) -> None:
    pass_ = passes.issue_pass(keyed, member(family, 0), actor=TEST_ACTOR, now=NOW)
    code = credentials.issue_card_credential(keyed, pass_, keys=KEYS, now=NOW)
    assert verify_code(keyed, code, now=NOW, keys=KEYS).pass_id == pass_.id
    later = NOW + dt.timedelta(minutes=5)
    if how == "block":
        passes.block_pass(keyed, pass_, reason=BlockReason.lost, actor=TEST_ACTOR, now=later)
    else:
        passes.replace_pass(keyed, pass_, actor=TEST_ACTOR, now=later)
    with pytest.raises(CredentialRefused) as refused:
        verify_code(keyed, code, now=later + dt.timedelta(seconds=1), keys=KEYS)
    assert refused.value.code in {"credential_revoked", f"pass_{pass_.status.value}"}


def test_every_operation_writes_exactly_its_own_row(reference: Session, family: Household) -> None:
    actor = Actor("staff:els", "caseworker", "req-12345678")
    pass_ = passes.issue_pass(reference, member(family, 0), actor=actor, now=NOW)
    passes.block_pass(reference, pass_, reason=BlockReason.lost, actor=actor, now=NOW)
    new = passes.replace_pass(reference, pass_, actor=actor, now=NOW)
    passes.block_pass(reference, new, reason=BlockReason.other, actor=actor, now=NOW)
    passes.reissue_pass(reference, new, actor=actor, now=NOW)
    rows = reference.scalars(
        select(AuditEvent).where(AuditEvent.action.like("pass.%")).order_by(AuditEvent.id)
    ).all()
    assert [r.action for r in rows] == [
        "pass.issue", "pass.block", "pass.replace", "pass.block", "pass.reissue"
    ]  # fmt: skip
    assert {(r.actor, r.role, r.request_id) for r in rows} == {
        ("staff:els", "caseworker", "req-12345678")
    }
    active = reference.scalar(
        select(func.count()).select_from(Pass).where(Pass.status == PassStatus.active)
    )
    assert active == 1


def test_a_blocked_pass_that_got_a_new_one_is_not_replaced_as_well(
    reference: Session, family: Household
) -> None:
    """Found by the API fuzz: block, reissue, then replace the blocked pass made a second
    active pass, which only the database's index refused (a 409 'conflict')."""
    old = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    passes.block_pass(reference, old, reason=BlockReason.lost, actor=TEST_ACTOR, now=NOW)
    passes.reissue_pass(reference, old, actor=TEST_ACTOR, now=NOW)
    with pytest.raises(PassNotActive) as refused:
        passes.replace_pass(reference, old, actor=TEST_ACTOR, now=NOW)
    assert refused.value.detail == "Voor deze pas is al een nieuwe pas gemaakt."
    assert old.status == PassStatus.blocked


def test_a_blocked_pass_is_not_replaced_when_its_holder_got_another_pass(
    reference: Session, family: Household
) -> None:
    old = passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    passes.block_pass(reference, old, reason=BlockReason.lost, actor=TEST_ACTOR, now=NOW)
    passes.issue_pass(reference, member(family, 0), actor=TEST_ACTOR, now=NOW)
    with pytest.raises(PassExists):
        passes.replace_pass(reference, old, actor=TEST_ACTOR, now=NOW)
    assert old.status == PassStatus.blocked
