"""Preparing, approving and cancelling settlement runs: tariffs, four eyes, holds, nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.contracts.errors import InvalidContract
from almerepas.contracts.models import Contract, Partner
from almerepas.ledger import posting as ledger
from almerepas.redemptions import ledger as booking
from almerepas.redemptions.models import Redemption
from almerepas.settlements import runs, windows
from almerepas.settlements.errors import (
    LinesChanged,
    NothingToSettle,
    OwnRunApproval,
    PeriodNotClosed,
    RunWrongState,
)
from almerepas.settlements.models import (
    HoldReason,
    RunStatus,
    SettlementLine,
    SettlementRun,
    SettlementWindow,
)
from tests.factories import TEST_ACTOR
from tests.redemptions.support import JUNE, child_budget, monthly_grant
from tests.settlements.support import APPROVER, JULY, PREPARER, contracted, redeem_at


def status(run: SettlementRun) -> RunStatus:
    """The run's status as the database has it now."""
    return run.status


def owed(session: Session, partner: Partner) -> int:
    account = ledger.get_account(session, f"owed:partner:{partner.id}")
    return 0 if account is None else ledger.balance_of(session, account)


def test_a_budget_is_paid_cent_for_cent_once(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    grant = child_budget(reference)
    redeem_at(reference, grant, partner, place, 45_50)
    redeem_at(reference, grant, partner, place, 12_25)

    run, held = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)

    assert held == []
    assert status(run) == RunStatus.draft
    assert run.total == 57_75
    [payment] = run.payments
    assert (payment.partner_id, payment.amount) == (partner.id, 57_75)
    assert payment.end_to_end_id == f"ALM-{run.id}-{payment.id}"
    with pytest.raises(NothingToSettle):
        runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)


def test_each_tariff_prices_its_lines(reference: Session) -> None:
    packs, packs_at = contracted(reference, "menstruatie", "per_unit", 4_99, name="Drogist")
    shop, shop_at = contracted(
        reference, "supermarkt", "discount_reimbursed", 7_500, name="Buurtsuper"
    )
    redeem_at(reference, monthly_grant(reference, "menstruatie"), packs, packs_at, 3)
    # A discount of € 3,33 reimbursed at 75 %: 249,75 cents, half up to 250.
    redeem_at(reference, monthly_grant(reference, "supermarkt"), shop, shop_at, 3_33)

    run, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)

    amounts = {p.partner_id: p.amount for p in run.payments}
    assert amounts == {packs.id: 3 * 4_99, shop.id: 2_50}


def test_a_period_that_has_not_ended_is_refused(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    redeem_at(reference, child_budget(reference), partner, place, 10_00)
    with pytest.raises(PeriodNotClosed):
        runs.prepare(reference, period="2026-06", actor=PREPARER, now=JUNE)
    last_evening = dt.datetime(2026, 6, 30, 21, 0, tzinfo=dt.UTC)  # 23:00 in Almere
    with pytest.raises(PeriodNotClosed):
        runs.prepare(reference, period="2026-06", actor=PREPARER, now=last_evening)


def test_a_redemption_after_the_period_waits_for_the_next_run(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    grant = child_budget(reference)
    redeem_at(reference, grant, partner, place, 10_00)
    # 1 July 00:30 in Almere is 30 June 22:30 UTC: July's, not June's.
    redeem_at(
        reference, grant, partner, place, 7_00, dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)
    )

    june, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    july, _ = runs.prepare(
        reference, period="2026-07", actor=PREPARER, now=dt.datetime(2026, 8, 3, tzinfo=dt.UTC)
    )

    assert (june.total, july.total) == (10_00, 7_00)


def test_nobody_approves_their_own_run(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    redeem_at(reference, child_budget(reference), partner, place, 20_00)
    run, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)

    with pytest.raises(OwnRunApproval):
        runs.approve(reference, run.id, actor=PREPARER, now=JULY)
    assert status(run) == RunStatus.draft
    assert owed(reference, partner) == 0

    runs.approve(reference, run.id, actor=APPROVER, now=JULY, expected_hash=run.lines_hash)
    assert status(run) == RunStatus.approved
    assert owed(reference, partner) == 20_00
    with pytest.raises(RunWrongState):
        runs.approve(reference, run.id, actor=APPROVER, now=JULY)


def test_the_database_refuses_a_run_approved_by_its_preparer(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    redeem_at(reference, child_budget(reference), partner, place, 20_00)
    run, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    with pytest.raises(IntegrityError), reference.begin_nested():
        reference.execute(
            update(SettlementRun)
            .where(SettlementRun.id == run.id)
            .values(approved_by=PREPARER.name)
        )


def test_an_approval_of_other_lines_than_were_seen_is_refused(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    redeem_at(reference, child_budget(reference), partner, place, 20_00)
    run, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    with pytest.raises(LinesChanged):
        runs.approve(reference, run.id, actor=APPROVER, now=JULY, expected_hash="0" * 64)


def test_a_cancelled_run_releases_its_lines(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    redeem_at(reference, child_budget(reference), partner, place, 20_00)
    first, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    runs.approve(reference, first.id, actor=APPROVER, now=JULY)

    runs.cancel(reference, first.id, actor=APPROVER, now=JULY)

    assert status(first) == RunStatus.cancelled
    assert owed(reference, partner) == 0
    again, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    assert again.total == 20_00
    with pytest.raises(RunWrongState):
        runs.approve(reference, first.id, actor=APPROVER, now=JULY)


def test_a_reversal_after_settlement_is_a_negative_line_next_time(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    grant = child_budget(reference)
    big = redeem_at(reference, grant, partner, place, 50_00)
    runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    booking.reverse(reference, big, 20_00, actor=TEST_ACTOR, now=JULY)
    redeem_at(reference, grant, partner, place, 30_00, JULY)

    july, _ = runs.prepare(
        reference, period="2026-07", actor=PREPARER, now=dt.datetime(2026, 8, 3, tzinfo=dt.UTC)
    )

    lines = reference.scalars(
        select(SettlementLine.amount).where(SettlementLine.run_id == july.id)
    ).all()
    assert sorted(lines) == [-20_00, 30_00]
    assert july.total == 10_00


def test_a_negative_total_is_carried_forward_never_paid(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    grant = child_budget(reference)
    big = redeem_at(reference, grant, partner, place, 50_00)
    runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    booking.reverse(reference, big, 50_00, actor=TEST_ACTOR, now=JULY)
    august = dt.datetime(2026, 8, 3, tzinfo=dt.UTC)

    with pytest.raises(NothingToSettle) as refused:
        runs.prepare(reference, period="2026-07", actor=PREPARER, now=august)
    assert refused.value.extensions["held"] == [
        {"partner": partner.id, "reason": "total_not_positive"}
    ]

    redeem_at(reference, grant, partner, place, 80_00, dt.datetime(2026, 8, 10, tzinfo=dt.UTC))
    september = dt.datetime(2026, 9, 2, tzinfo=dt.UTC)
    run, _ = runs.prepare(reference, period="2026-08", actor=PREPARER, now=september)
    assert run.total == 30_00


def test_a_reversal_after_the_contract_ended_still_counts(reference: Session) -> None:
    """The only thing new is a reversal of a redemption from the contract's last month: no
    redemption can be in the gap any more, the reversal still is (and holds the partner back)."""
    partner, place = contracted(reference, "stadsfonds")
    [contract] = reference.scalars(select(Contract).where(Contract.partner_id == partner.id))
    windows.end_contract(reference, contract, dt.date(2026, 6, 30), actor=TEST_ACTOR)
    big = redeem_at(reference, child_budget(reference), partner, place, 50_00)
    runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    booking.reverse(reference, big, 20_00, actor=TEST_ACTOR, now=JULY)

    with pytest.raises(NothingToSettle) as refused:
        runs.prepare(
            reference, period="2026-07", actor=PREPARER, now=dt.datetime(2026, 8, 3, tzinfo=dt.UTC)
        )
    assert refused.value.extensions["held"] == [
        {"partner": partner.id, "reason": "total_not_positive"}
    ]


def test_a_partner_with_a_bad_iban_is_held_back_with_a_reason(reference: Session) -> None:
    good, good_at = contracted(reference, "stadsfonds", name="Zwemclub")
    bad, bad_at = contracted(reference, "stadsfonds", name="Dansschool")
    reference.execute(update(Partner).where(Partner.id == bad.id).values(iban="NL00BANK0123456789"))
    grant = child_budget(reference)
    redeem_at(reference, grant, good, good_at, 10_00)
    redeem_at(reference, grant, bad, bad_at, 15_00)

    run, held = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)

    assert [h.partner_id for h in held] == [bad.id]
    assert [p.partner_id for p in run.payments] == [good.id]
    assert [(h.partner_id, h.reason, h.amount) for h in run.holds] == [
        (bad.id, HoldReason.iban_invalid, 15_00)
    ]
    # Its lines stay open: fixed, the next prepare pays it.
    reference.execute(update(Partner).where(Partner.id == bad.id).values(iban="NL91ABNA0417164300"))
    again, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    assert [(p.partner_id, p.amount) for p in again.payments] == [(bad.id, 15_00)]


def test_a_stripe_partner_without_an_account_is_held_back(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds", payout_method="stripe")
    redeem_at(reference, child_budget(reference), partner, place, 10_00)
    with pytest.raises(NothingToSettle) as refused:
        runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    assert refused.value.extensions["held"][0]["reason"] == "stripe_account_missing"


def test_a_run_for_one_partner_leaves_the_others(reference: Session) -> None:
    one, one_at = contracted(reference, "stadsfonds", name="Zwemclub")
    other, other_at = contracted(reference, "stadsfonds", name="Dansschool")
    grant = child_budget(reference)
    redeem_at(reference, grant, one, one_at, 10_00)
    redeem_at(reference, grant, other, other_at, 15_00)

    run, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY, partner_id=one.id)

    assert [p.partner_id for p in run.payments] == [one.id]
    rest, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    assert [p.partner_id for p in rest.payments] == [other.id]
    assert reference.scalar(select(func.count()).select_from(SettlementLine)) == 2


def test_a_discount_given_back_in_parts_takes_back_what_was_paid_for_it(reference: Session) -> None:
    shop, shop_at = contracted(
        reference, "supermarkt", "discount_reimbursed", 7_500, name="Buurtsuper"
    )
    grant = monthly_grant(reference, "supermarkt")
    redeem_at(reference, grant, shop, shop_at, 3_00)  # 75 % of € 3: € 2,25
    small = redeem_at(reference, grant, shop, shop_at, 3)  # 2,25 cents, half up: 2
    for _ in range(3):  # each 0,75 cent; priced one by one they would take back 3 cents
        booking.reverse(reference, small, 1, actor=TEST_ACTOR, now=JUNE)

    run, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)

    assert run.total == 2_25


def test_a_run_sums_a_partners_redemptions_per_contract_and_location(
    reference: Session,
) -> None:
    partner, place = contracted(reference, "stadsfonds")
    grant = child_budget(reference)
    for amount in (10_00, 2_50, 7_25):
        redeem_at(reference, grant, partner, place, amount)

    run, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)

    [line] = reference.scalars(select(SettlementLine).where(SettlementLine.run_id == run.id))
    assert (line.sources, line.quantity, line.amount) == (3, 19_75, 19_75)
    assert line.location_id == place.id
    [window] = windows.of_run(reference, run.id)
    assert window.partner_id == partner.id and window.ends_at == run.cutoff_at


def test_what_a_cancelled_run_settled_comes_back_under_a_later_month(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    grant = child_budget(reference)
    redeem_at(reference, grant, partner, place, 20_00)
    june, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    redeem_at(reference, grant, partner, place, 5_00, JULY)
    august = dt.datetime(2026, 8, 3, tzinfo=dt.UTC)
    july, _ = runs.prepare(reference, period="2026-07", actor=PREPARER, now=august)
    assert july.total == 5_00

    runs.cancel(reference, june.id, actor=APPROVER, now=august)

    # June's window is a hole now, before July's: a run of any later month fills it.
    again, _ = runs.prepare(reference, period="2026-07", actor=PREPARER, now=august)
    assert again.total == 20_00
    with pytest.raises(NothingToSettle):
        runs.prepare(reference, period="2026-07", actor=PREPARER, now=august)


def test_a_contract_cannot_end_before_a_day_already_settled(reference: Session) -> None:
    partner, place = contracted(reference, "stadsfonds")
    redeem_at(reference, child_budget(reference), partner, place, 20_00)
    runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    [contract] = reference.scalars(select(Contract).where(Contract.partner_id == partner.id))

    with pytest.raises(InvalidContract) as refused:
        windows.end_contract(reference, contract, dt.date(2026, 6, 15), actor=TEST_ACTOR)
    assert "30-06-2026" in refused.value.detail
    windows.end_contract(reference, contract, dt.date(2026, 6, 30), actor=TEST_ACTOR)
    assert contract.valid_to == dt.date(2026, 6, 30)


def test_the_database_keeps_a_line_to_its_partners_payment_contract_and_location(
    reference: Session,
) -> None:
    """The composite keys of settlement_line and settlement_window (a4b5c6d7e8f9): a line
    cannot be moved to another partner's location or to a scheme its contract is not for, and a
    run has windows only of partners it pays."""
    partner, place = contracted(reference, "stadsfonds")
    other, elsewhere = contracted(reference, "menstruatie", "per_unit", 4_99, name="Drogisterij")
    redeem_at(reference, child_budget(reference), partner, place, 10_00)
    run, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    [line] = reference.scalars(select(SettlementLine).where(SettlementLine.run_id == run.id))
    kept = (line.location_id, line.scheme_id, line.run_id)
    other_scheme = reference.scalar(
        select(Contract.scheme_id).where(Contract.partner_id == other.id)
    )

    for change in (
        update(SettlementLine).values(location_id=elsewhere.id),
        update(SettlementLine).values(scheme_id=other_scheme),
        update(SettlementLine).values(run_id=run.id + 1),
        update(SettlementWindow).values(partner_id=other.id),
    ):
        with pytest.raises(IntegrityError), reference.begin_nested():
            reference.execute(change.execution_options(synchronize_session=False))

    reference.expire_all()
    assert (line.location_id, line.scheme_id, line.run_id) == kept
    assert kept[0] == place.id and kept[1] != other_scheme
    assert [w.partner_id for w in windows.of_run(reference, run.id)] == [partner.id]


def test_a_run_pays_every_one_of_many_partners(reference: Session) -> None:
    """More partners than a run asks for by id (writing.payees reads every contracted one)."""
    grant = child_budget(reference, 300_00)
    made = []
    for n in range(23):
        partner, place = contracted(reference, "stadsfonds", name=f"Sportclub {n}")
        redeem_at(reference, grant, partner, place, 1_00 + n)
        made.append(partner.id)

    run, held = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)

    assert held == []
    assert {p.partner_id: p.amount for p in run.payments} == {
        pid: 1_00 + n for n, pid in enumerate(made)
    }


@pytest.mark.postgres_only
def test_a_run_puts_the_planners_settings_back(reference: Session) -> None:
    """summing._hashed plans one statement with hash joins only; what the transaction does
    after the prepare is planned as before."""
    partner, place = contracted(reference, "stadsfonds")
    redeem_at(reference, child_budget(reference), partner, place, 10_00)
    names = ("enable_nestloop", "enable_sort", "work_mem")
    before = [reference.scalar(select(func.current_setting(n))) for n in names]

    runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)

    assert [reference.scalar(select(func.current_setting(n))) for n in names] == before


def test_a_redemption_at_another_partners_location_is_an_error_not_a_busy_run(
    reference: Session,
) -> None:
    """Only a unique key another prepare took first is "busy, try again" (settlement_busy); a
    line the composite keys refuse says what is wrong."""
    partner, place = contracted(reference, "stadsfonds")
    _, elsewhere = contracted(reference, "stadsfonds", name="Zwemclub")
    made = redeem_at(reference, child_budget(reference), partner, place, 10_00)
    reference.execute(
        update(Redemption).where(Redemption.id == made.id).values(location_id=elsewhere.id)
    )

    with pytest.raises(IntegrityError, match=r"fk_settlement_line_location|FOREIGN KEY"):
        runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
