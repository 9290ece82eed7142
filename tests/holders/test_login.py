"""Holder login with a one-time code: sent only to a known contact, the same answer for anyone,
hashed, 10 minutes, 5 tries, once, 3 codes per 15 minutes per contact."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.holders.contacts import parse_contact
from almerepas.holders.errors import (
    InvalidContact,
    LoginCodeExpired,
    LoginCodeInvalid,
    LoginCodeLocked,
    TooManyCodes,
)
from almerepas.holders.login import find_holder
from almerepas.models import AuditEvent, LoginCode, Message
from tests.factories import KEYS
from tests.fixtures import FrozenClock
from tests.holders.helpers import EMAIL, family, last_code, login, member


def audit_actions(db: Session) -> list[tuple[str, str]]:
    rows = db.execute(
        select(AuditEvent.action, AuditEvent.actor)
        .where(AuditEvent.action.like("holder.%"))
        .order_by(AuditEvent.id)
    )
    return [(action, actor) for action, actor in rows]


def test_a_known_contact_gets_a_code_by_e_mail_that_logs_her_in_once(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    mother = member(family(db), 0)

    login(db).start("  Fatima.ElAmrani@Example.NL ")

    message = db.scalars(select(Message)).one()
    assert (message.channel.value, message.recipient) == ("email", EMAIL)
    code = last_code(db)
    stored = db.scalars(select(LoginCode)).one()
    assert code not in (stored.code_hash or "") and stored.person_id == mother.id
    assert message.expires_at == stored.expires_at  # a code nobody can use is not sent late

    assert login(db).finish(EMAIL, code).id == mother.id
    with pytest.raises(LoginCodeInvalid):
        login(db).finish(EMAIL, code)  # once only
    assert audit_actions(db) == [
        ("holder.code_sent", "test"),
        ("holder.login", f"holder:{mother.id}"),
    ]
    changes = db.scalars(select(AuditEvent.changes).where(AuditEvent.action.like("holder.%")))
    assert code not in str(changes.all())


def test_an_unknown_contact_gets_the_same_answer_and_no_message(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    family(db)

    assert login(db).start("iemand@example.nl") is None

    assert db.scalar(select(func.count()).select_from(Message)) == 0
    row = db.scalars(select(LoginCode)).one()
    assert (row.person_id, row.code_hash) == (None, None)
    with pytest.raises(LoginCodeInvalid):
        login(db).finish("iemand@example.nl", "123456")
    assert audit_actions(db) == []


def test_five_wrong_codes_lock_the_code_also_for_an_unknown_contact(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    family(db)
    for contact in (EMAIL, "iemand@example.nl"):
        login(db).start(contact)
        wrong = "000000" if contact != EMAIL or last_code(db) != "000000" else "111111"
        refusals = []
        for _ in range(5):
            with pytest.raises((LoginCodeInvalid, LoginCodeLocked)) as refused:
                login(db).finish(contact, wrong)
            refusals.append(refused.value.code)
        assert refusals == ["login_code_invalid"] * 4 + ["login_code_locked"], contact
        with pytest.raises(LoginCodeLocked):
            login(db).finish(contact, last_code(db) if contact == EMAIL else wrong)


def test_a_code_works_ten_minutes(reference: Session, frozen_clock: FrozenClock) -> None:
    db = reference
    family(db)
    login(db).start(EMAIL)
    code = last_code(db)
    frozen_clock.advance(minutes=10)
    with pytest.raises(LoginCodeExpired):
        login(db).finish(EMAIL, code)


def test_only_the_newest_code_works(reference: Session, frozen_clock: FrozenClock) -> None:
    db = reference
    mother = member(family(db), 0)
    login(db).start(EMAIL)
    first = last_code(db)
    frozen_clock.advance(minutes=1)
    login(db).start(EMAIL)
    second = last_code(db)
    if first != second:
        with pytest.raises(LoginCodeInvalid):
            login(db).finish(EMAIL, first)
    assert login(db).finish(EMAIL, second).id == mother.id


@pytest.mark.parametrize("contact", [EMAIL, "iemand@example.nl"])
def test_three_codes_per_quarter_of_an_hour_for_anyone(
    reference: Session, frozen_clock: FrozenClock, contact: str
) -> None:
    db = reference
    family(db)
    for _ in range(3):
        login(db).start(contact)
        frozen_clock.advance(minutes=2)
    with pytest.raises(TooManyCodes) as refused:
        login(db).start(contact)
    assert refused.value.retry_after == 9 * 60 + 1  # the first of the three ages out then
    frozen_clock.advance(minutes=9, seconds=1)
    login(db).start(contact)


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("06-1234 5678", "0612345678"),
        ("+31 6 12345678", "06 12 34 56 78"),
        ("0612345678", "+31612345678"),
        ("06 12345678", "0031 6 1234 5678"),
    ],
)
def test_a_mobile_number_is_found_however_it_was_written(
    reference: Session, frozen_clock: FrozenClock, stored: str, typed: str
) -> None:
    db = reference
    mother = member(family(db, email=None, phone=stored), 0)
    login(db).start(typed)
    message = db.scalars(select(Message)).one()
    assert (message.channel.value, message.recipient) == ("sms", "+31612345678")
    assert login(db).finish(typed, last_code(db, "+31612345678")).id == mother.id


def test_the_households_contact_logs_in_the_applicant(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db, email=None)
    household.email = "gezin@example.nl"
    db.flush()
    person = find_holder(db, parse_contact("Gezin@example.nl"), frozen_clock.now())
    assert person is not None and person.id == member(household, 0).id


def test_someone_who_moved_away_gets_no_code(reference: Session, frozen_clock: FrozenClock) -> None:
    db = reference
    household = family(db)
    household.moved_out_on = frozen_clock.now().date()
    db.flush()
    login(db).start(EMAIL)
    assert db.scalar(select(func.count()).select_from(Message)) == 0


@pytest.mark.parametrize("typed", ["", "fatima", "12345", "0201234567", "a@b", "x" * 300 + "@a.nl"])
def test_what_is_neither_an_address_nor_a_mobile_number_is_refused(
    reference: Session, frozen_clock: FrozenClock, typed: str
) -> None:
    with pytest.raises(InvalidContact):
        login(reference).start(typed)


def test_the_code_is_hashed_with_the_servers_key(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    family(db)
    login(db).start(EMAIL)
    row = db.scalars(select(LoginCode)).one()
    assert row.code_hash == KEYS.keyed_hash(f"{row.salt}:{last_code(db)}", "holder-login-code")
