"""Issue 15 item 4: the access-request export and erasure after the retention period."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select, table
from sqlalchemy.orm import Session

from almerepas.applications.models import Application, ApplicationStatus, Evidence
from almerepas.audit.log import Actor
from almerepas.core.db import Base
from almerepas.grants.models import Grant
from almerepas.households import members as households
from almerepas.households.members import Address
from almerepas.households.models import Household, MemberRole, Person
from almerepas.ledger import posting as ledger
from almerepas.letters.models import Letter, LetterChannel
from almerepas.models import AuditEvent, Channel, Message, MessageStatus, Role
from almerepas.outbox import queue as outbox
from almerepas.privacy import erasure
from almerepas.settlements import runs
from almerepas.settlements.models import SettlementLine
from almerepas.uploads import store as uploads
from tests.factories import KEYS, staff_headers
from tests.fixtures import FrozenClock
from tests.redemptions.support import child_budget
from tests.reimbursements.support import declare
from tests.settlements.support import JULY, PREPARER, contracted, redeem_at
from tests.uploads.support import stored

BSN = "111222333"
NAME = "Zwanenburg"
ERASER = Actor("cli:privacy-erase")


def named_family(session: Session) -> tuple[Household, Grant]:
    """A family with a BSN, a grant used at a partner and settled, an application with a file,
    a letter and an e-mail."""
    grant = child_budget(session)
    household = session.get(Household, grant.household_id) if grant.household_id else None
    if household is None:
        assert grant.person_id is not None
        person = session.get(Person, grant.person_id)
        assert person is not None
        household = person.memberships[0].household
    applicant = household.memberships[0].person
    applicant.given_name, applicant.family_name = "Fatima", NAME
    applicant.email = "fatima@example.nl"
    households.set_bsn(session, applicant, BSN, keys=KEYS)
    household.street = "Zwanenburgstraat"
    partner, place = contracted(session, "stadsfonds")
    redeem_at(session, grant, partner, place, 120_00)
    runs.prepare(session, period="2026-06", actor=PREPARER, now=JULY)
    message = outbox.queue(
        session, channel=Channel.email, recipient="fatima@example.nl", purpose="letter",
        body=f"Beste Fatima {NAME}", keys=KEYS, now=JULY, subject=f"Brief voor {NAME}",
    )  # fmt: skip
    session.add(
        Letter(
            household_id=household.id,
            kind="granted",
            language="nl",
            channel=LetterChannel.email,
            facts={"name": f"Fatima {NAME}"},
            source_key=f"test:{household.id}",
            created_by="test",
            message_id=message.id,
        )
    )
    application = Application(
        code_hash="a" * 64, status=ApplicationStatus.approved, household_id=household.id,
        answers={"members": [{"given_name": "Fatima", "family_name": NAME}]}, decided_at=JULY,
    )  # fmt: skip
    session.add(application)
    session.flush()
    uploads.save(session, b"%PDF- loonstrook", now=JULY, file_id="bewijs1")
    session.add(
        Evidence(application_id=application.id, file_id="bewijs1", content_type="application/pdf",
                 size=16, sha256="b" * 64)
    )  # fmt: skip
    session.flush()
    return household, grant


def everything(session: Session) -> str:
    """Every row of every table, the audit log's too, as one text to search in."""
    rows: list[str] = []
    for name in Base.metadata.tables:
        rows.extend(str(tuple(r)) for r in session.execute(select("*").select_from(table(name))))
    return "\n".join(rows)


def erase_on(session: Session, *, day: int) -> erasure.Erased:
    """The nightly run on ``day`` January 2036, with the default seven years."""
    moment = dt.datetime(2036, 1, day, 3, 0, tzinfo=dt.UTC)
    return erasure.erase(session, today=moment.date(), years=7, now=moment, actor=ERASER)


def money(session: Session) -> tuple[dict[int, int], int]:
    settled = session.scalar(select(func.sum(SettlementLine.amount)))
    return ledger.computed_balances(session), int(settled or 0)


def test_erasure_pseudonymises_and_keeps_the_books(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    household, _ = named_family(reference)
    before = money(reference)
    assert NAME in everything(reference)

    done = erase_on(reference, day=1)

    assert household.id in done.households
    text = everything(reference)
    assert NAME not in text and "Fatima" not in text and BSN not in text
    assert "fatima@example.nl" not in text and "Zwanenburgstraat" not in text
    assert money(reference) == before
    assert "bewijs1" not in stored(reference)  # the bytes themselves, gone
    assert ledger.find_drift(reference) == []
    assert set(ledger.unit_totals(reference).values()) == {0}
    assert {m.status for m in reference.scalars(select(Message))} == {MessageStatus.failed}
    person = household.memberships[0].person
    assert person.bsn_hash is None and person.date_of_birth.timetuple()[1:3] == (1, 1)
    row = reference.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase")).one()
    assert row.entity_id == str(household.id) and NAME not in str(row.changes)
    # the next night passes it by
    again = erase_on(reference, day=2)
    assert household.id not in again.households


def test_erasure_deletes_the_bytes_of_evidence_and_receipts_from_the_database(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    household, grant = named_family(reference)
    declaration = declare(reference, grant)
    assert set(stored(reference)) == {"bewijs1", declaration.file_id}

    done = erase_on(reference, day=1)

    assert household.id in done.households and done.files == 2
    assert stored(reference) == {}  # no app server can serve them any more
    assert declaration.sha256 and declaration.file_id  # the record that they were seen stays


def test_a_household_within_retention_is_untouched(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    household, _ = named_family(reference)
    household.moved_out_on = dt.date(2033, 6, 1)  # left Almere late: kept until 2040

    done = erase_on(reference, day=1)

    assert household.id not in done.households
    assert household.pseudonymised_at is None and "bewijs1" in stored(reference)
    assert NAME in everything(reference) and household.street == "Zwanenburgstraat"


def test_the_dry_run_changes_nothing(
    app: Flask,
    reference: Session,
    runner: FlaskCliRunner,
    frozen_clock: FrozenClock,
) -> None:
    household, _ = named_family(reference)
    frozen_clock.set(dt.datetime(2036, 1, 1, 3, 0, tzinfo=dt.UTC))

    dry = runner.invoke(args=["privacy", "erase", "--dry-run"])

    assert dry.exit_code == 0, dry.output
    reference.expire_all()
    assert household.pseudonymised_at is None and NAME in everything(reference)
    assert "bewijs1" in stored(reference)
    real = runner.invoke(args=["privacy", "erase"])
    assert real.exit_code == 0, real.output
    reference.expire_all()
    assert household.pseudonymised_at is not None and NAME not in everything(reference)


def test_the_export_holds_it_all_and_is_audited(
    client: FlaskClient, reference: Session, frozen_clock: FrozenClock
) -> None:
    household, grant = named_family(reference)
    headers = staff_headers(client, reference, Role.caseworker)

    response = client.get(f"/api/v1/households/{household.id}/privacy-export", headers=headers)

    assert response.status_code == 200, response.json
    body = response.json
    assert body is not None
    assert {p["bsn"] for p in body["persons"]} >= {BSN}
    assert NAME in {p["family_name"] for p in body["persons"]}
    assert "bsn_encrypted" not in body["persons"][0] and "bsn_hash" not in body["persons"][0]
    assert [r["amount"] for r in body["redemptions"]] == [120_00]
    assert body["redemptions"][0]["partner"] == "Sportclub Almere"
    assert grant.id in {g["id"] for g in body["grants"]}
    assert body["messages"][0]["body"] == f"Beste Fatima {NAME}"
    assert body["letters"][0]["facts"] == {"name": f"Fatima {NAME}"}
    assert body["applications"][0]["answers"]["members"][0]["family_name"] == NAME
    assert [e["sha256"] for e in body["evidence"]] == ["b" * 64]
    read = reference.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.export")).one()
    assert read.entity_id == str(household.id) and read.actor.startswith("staff:")


def test_only_a_caseworker_exports(
    client: FlaskClient, reference: Session, frozen_clock: FrozenClock
) -> None:
    household, _ = named_family(reference)
    for role in (Role.auditor, Role.finance):
        headers = staff_headers(client, reference, role)
        response = client.get(f"/api/v1/households/{household.id}/privacy-export", headers=headers)
        assert response.status_code == 403


def test_a_person_who_moved_on_keeps_their_name_until_the_new_household_is_due(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    old, _ = named_family(reference)
    person = old.memberships[0].person
    old.memberships[0].valid_to = dt.date(2026, 12, 31)  # moved out of it
    new = households.create_household(
        reference, address=Address(postcode="1315 AB", house_number=999, street="Nieuwe Laan")
    )
    households.add_member(
        reference, new, person, role=MemberRole.applicant, valid_from=dt.date(2027, 1, 1)
    )
    new.moved_out_on = dt.date(2033, 6, 1)

    done = erase_on(reference, day=1)

    assert old.id in done.households and new.id not in done.households
    assert old.street == "verwijderd" and person.family_name == NAME
    assert person.id not in done.persons
