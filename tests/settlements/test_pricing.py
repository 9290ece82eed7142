"""The database prices a run's lines (pricing.py): to the cent what ``collect.price`` says, on
both databases, and under the contract of the redemption's day in Almere."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, String, literal, select, text
from sqlalchemy.orm import Session

from almerepas.contracts import agreements
from almerepas.contracts.models import Contract, TariffKind
from almerepas.core import clock
from almerepas.ledger.posting import EUR
from almerepas.schemes import catalogue as schemes
from almerepas.settlements import runs
from almerepas.settlements.collect import price, taken_back
from almerepas.settlements.pricing import OPEN_END, price_by_rule, price_sql, rows_cte, rule_of
from almerepas.settlements.windows import BEGINNING
from tests.factories import TEST_ACTOR, make_location
from tests.redemptions.support import child_budget
from tests.settlements.support import JULY, PREPARER, contracted, redeem_at

#: (kind, tariffs the contract's CHECK allows): None where it has no figure
TARIFFS = st.one_of(
    st.tuples(st.just(TariffKind.amount_redeemed), st.none()),
    st.tuples(st.just(TariffKind.per_unit), st.integers(0, 100_000)),
    st.tuples(st.just(TariffKind.discount_reimbursed), st.integers(1, 10_000)),
    st.tuples(st.just(TariffKind.per_ride), st.integers(0, 100_000)),
    st.tuples(st.just(TariffKind.flat_per_holder_month), st.integers(0, 100_000)),
)
UNITS = st.sampled_from([EUR, "PACK"])
AMOUNTS = st.integers(-10_000_000, 10_000_000)


def sql_price(db: Session, kind: str, unit: str, tariff: int | None, quantity: int) -> int | None:
    """What the database makes of one price (the expression the lines are inserted with)."""
    expression = price_sql(
        literal(kind, String),
        literal(unit, String),
        literal(tariff, BigInteger),
        literal(quantity, BigInteger),
    )
    return db.scalar(select(expression))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tariff=TARIFFS, unit=UNITS, quantity=AMOUNTS)
def test_the_database_prices_as_the_python_rule(
    db: Session, tariff: tuple[TariffKind, int | None], unit: str, quantity: int
) -> None:
    """Both SQL forms: ``price_sql`` (statements, reports) and ``price_by_rule``, whose branch
    a run picks once per contract (summing.py)."""
    kind, figure = tariff
    expected = price(Contract(tariff_kind=kind, tariff=figure), unit, quantity)
    by_rule = price_by_rule(
        literal(rule_of(kind, unit).value, BigInteger),
        literal(figure or 0, BigInteger),
        literal(quantity, BigInteger),
    )

    assert sql_price(db, kind.value, unit, figure, quantity) == expected
    assert db.scalar(select(by_rule)) == expected


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(share=st.integers(1, 10_000), left=st.integers(0, 1_000_000), data=st.data())
def test_a_reversal_of_a_discount_takes_back_the_difference_of_two_prices(
    db: Session, share: int, left: int, data: st.DataObject
) -> None:
    amount = data.draw(st.integers(0, left))
    contract = Contract(tariff_kind=TariffKind.discount_reimbursed, tariff=share)
    kind = TariffKind.discount_reimbursed.value
    after = sql_price(db, kind, EUR, share, left - amount)
    before = sql_price(db, kind, EUR, share, left)
    assert after is not None and before is not None

    assert after - before == taken_back(contract, EUR, left, amount)


# A table of the half-up edges: 0.5 cent rounds up, 0.4999 down; a negative half away from zero.
EDGES = [
    (TariffKind.discount_reimbursed, 5_000, EUR, 1, 1),
    (TariffKind.discount_reimbursed, 4_999, EUR, 1, 0),
    (TariffKind.discount_reimbursed, 7_500, EUR, 3_33, 2_50),
    (TariffKind.discount_reimbursed, 7_500, EUR, -3_33, -2_50),
    (TariffKind.discount_reimbursed, 5_000, EUR, -1, -1),
    (TariffKind.discount_reimbursed, 10_000, EUR, 12_345, 12_345),
    (TariffKind.per_unit, 4_99, "PACK", 3, 14_97),
    (TariffKind.per_unit, 4_99, EUR, 3, None),
    (TariffKind.amount_redeemed, None, EUR, 45_50, 45_50),
    (TariffKind.amount_redeemed, None, "PACK", 2, None),
    (TariffKind.per_ride, 2_00, EUR, 1, None),
]


def test_the_half_up_edges_on_both_databases(db: Session) -> None:
    for kind, tariff, unit, quantity, cents in EDGES:
        contract = Contract(tariff_kind=kind, tariff=tariff)
        assert price(contract, unit, quantity) == cents, (kind, tariff, unit, quantity)
        assert sql_price(db, kind.value, unit, tariff, quantity) == cents, (kind, tariff, quantity)


def test_a_redemption_is_priced_under_the_contract_of_its_day_in_almere(
    reference: Session,
) -> None:
    partner, place = contracted(reference, "stadsfonds", "discount_reimbursed", 5_000)
    [first] = reference.scalars(select(Contract).where(Contract.partner_id == partner.id))
    agreements.end_contract(reference, first, dt.date(2026, 6, 15), actor=TEST_ACTOR)
    agreements.create_contract(
        reference, partner, scheme=schemes.get_scheme(reference, "stadsfonds"),
        location_ids=[place.id], valid_from=dt.date(2026, 6, 16), valid_to=None,
        tariff_kind="amount_redeemed", tariff=None, actor=TEST_ACTOR,
    )  # fmt: skip
    grant = child_budget(reference)
    # 23:59 on 15 June in Almere (summer time, UTC+2): half of it; a minute later all of it.
    redeem_at(
        reference, grant, partner, place, 10_00, dt.datetime(2026, 6, 15, 21, 59, tzinfo=dt.UTC)
    )
    redeem_at(
        reference, grant, partner, place, 4_00, dt.datetime(2026, 6, 15, 22, 0, tzinfo=dt.UTC)
    )

    run, held = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)

    assert held == []
    assert [p.amount for p in run.payments] == [5_00 + 4_00]


def test_of_two_contracts_for_other_locations_the_oldest_prices_once(reference: Session) -> None:
    partner, _place = contracted(reference, "stadsfonds")  # the amount redeemed, from 1 January
    other = make_location(reference, partner, "Tweede zaal")
    agreements.create_contract(
        reference, partner, scheme=schemes.get_scheme(reference, "stadsfonds"),
        location_ids=[other.id], valid_from=dt.date(2026, 6, 10), valid_to=None,
        tariff_kind="discount_reimbursed", tariff=5_000, actor=TEST_ACTOR,
    )  # fmt: skip
    redeem_at(reference, child_budget(reference), partner, other, 8_00)

    run, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)

    assert [p.amount for p in run.payments] == [8_00]


def test_a_table_of_ranges_keeps_every_moment_to_the_microsecond(db: Session) -> None:
    """``rows_cte`` sends moments to PostgreSQL as text: the first and the last moment a run
    knows, a moment with microseconds, and the hour clocks go back in Almere come back as they
    went, whatever time zone the database session is in."""
    autumn = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # 02:30 in Almere, the second time
    moments = [
        (1, BEGINNING, OPEN_END),
        (2, dt.datetime(2026, 6, 30, 21, 59, 59, 999_999, tzinfo=dt.UTC), autumn),
        (3_000_000_000, autumn.astimezone(clock.LOCAL), autumn + dt.timedelta(microseconds=1)),
    ]
    table = rows_cte(db, "ranges", ("ident", "starts_at", "ends_at"), moments)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL TIME ZONE 'Pacific/Chatham'"))  # +12:45 or +13:45

    found = db.execute(select(table).order_by(table.c.ident)).all()

    # the same instants (a moment in the hour that repeats never equals one in another zone)
    in_utc = [(n, start.astimezone(dt.UTC), end.astimezone(dt.UTC)) for n, start, end in moments]
    assert [tuple(row) for row in found] == in_utc
