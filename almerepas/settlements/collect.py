"""What a run settles: every unsettled redemption, reversal, ride and holder-month before the
cut-off, priced at the tariff of the contract it happened under. Read only; runs.py writes.
Redemptions and reversals are priced by the database (pricing.py, the statement a run inserts
its lines with); ``price`` and ``taken_back`` below say the same rule in Python.

A redemption or reversal is unsettled while no window of its partner holds the moment it was
recorded (windows.py); a ride or holder-month while no settlement line names it
(``source_key``). A cancelled run's windows and lines are deleted, so their sources come back.
Prices (docs/settlement.md, Tariffs):

- ``amount_redeemed``: the cents redeemed (a budget);
- ``per_unit``: units redeemed times the tariff (packs of a quota);
- ``discount_reimbursed``: the discount given times the share in basis points, half up;
- ``per_ride``: the tariff for each ride that was ``ok``;
- ``flat_per_holder_month``: the tariff once per holder who rode at least once in a month.

A reversal is priced as its redemption was, negative: what the redemption was worth before the
reversal less what it is worth after (its own price, but for the discount's half up). A source
whose contract's tariff does not fit it (an amount for packs, a ride fee for a budget) has no
price: ``amount`` is None and the run holds its partner back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Contract, TariffKind
from almerepas.core import clock
from almerepas.core.money import half_up
from almerepas.grants.models import Grant
from almerepas.ledger.posting import EUR
from almerepas.passes.models import Pass
from almerepas.redemptions.models import Ride
from almerepas.settlements import pricing, windows
from almerepas.settlements.models import LineKind, SettlementLine

RIDE_OK = "ok"


@dataclass(frozen=True)
class Source:
    """One thing to settle, priced; becomes one settlement line."""

    key: str
    kind: LineKind
    partner_id: int
    contract_id: int
    scheme_id: int
    location_id: int | None
    occurred_at: dt.datetime
    quantity: int
    #: cents at the tariff; None when the tariff does not fit the source
    amount: int | None
    redemption_id: int | None = None
    reversal_id: int | None = None
    ride_id: int | None = None


class _Contracts:
    """The partners' contracts by (partner, scheme), to find the one that ran on a day."""

    def __init__(self, contracts: Iterable[Contract]) -> None:
        self._by: dict[tuple[int, int], list[Contract]] = defaultdict(list)
        for contract in contracts:
            self._by[(contract.partner_id, contract.scheme_id)].append(contract)

    def on(self, partner_id: int, scheme_id: int, moment: dt.datetime) -> Contract | None:
        day = moment.astimezone(clock.LOCAL).date()
        for contract in self._by.get((partner_id, scheme_id), ()):
            if contract.valid_from <= day and (
                contract.valid_to is None or day <= contract.valid_to
            ):
                return contract
        return None


def price(contract: Contract, unit: str, quantity: int) -> int | None:
    """Cents for ``quantity`` redeemed under the contract (positive), or None if unfit."""
    kind = contract.tariff_kind
    if kind == TariffKind.amount_redeemed:
        return quantity if unit == EUR else None
    if kind == TariffKind.per_unit:
        return quantity * (contract.tariff or 0) if unit != EUR else None
    if kind == TariffKind.discount_reimbursed:
        return half_up(Fraction(quantity * (contract.tariff or 0), 10_000)) if unit == EUR else None
    return None


def taken_back(contract: Contract, unit: str, left: int, amount: int) -> int | None:
    """A reversal's (negative) price: what the redemption was worth before it less after it.

    Half up per reversal would not add up: three reversals of 1 cent of a 3-cent discount at
    75 % would take back 3 cents of the 2 paid. As a difference, a redemption reversed in full
    nets to nothing, however many parts it was given back in.
    """
    was, now = price(contract, unit, left), price(contract, unit, left - amount)
    return None if was is None or now is None else now - was


def collect(session: Session, *, cutoff: dt.datetime, partner_id: int | None) -> list[Source]:
    """Every unsettled source of contracted partners (or of one partner) before ``cutoff``."""
    found = _priced(session, cutoff, partner_id)
    return found + rides(session, cutoff=cutoff, partner_id=partner_id)


def _priced(session: Session, cutoff: dt.datetime, partner_id: int | None) -> list[Source]:
    """The redemptions and reversals, priced by the database (pricing.py) as a run writes them."""
    query = pricing.priced(session, windows.gaps(session, cutoff=cutoff, partner_id=partner_id))
    if query is None:
        return []
    return [
        Source(
            key=row.source_key,
            kind=LineKind(row.kind),
            partner_id=row.partner_id,
            contract_id=row.contract_id,
            scheme_id=row.scheme_id,
            location_id=row.location_id,
            occurred_at=row.occurred_at,
            quantity=row.quantity,
            amount=row.amount,
            redemption_id=row.redemption_id,
            reversal_id=row.reversal_id,
        )
        for row in session.execute(query)
    ]


def rides(session: Session, *, cutoff: dt.datetime, partner_id: int | None) -> list[Source]:
    """The unsettled rides and holder-months before ``cutoff``, priced here (a run inserts these
    one by one; the redemptions and reversals it writes in SQL)."""
    settled = exists().where(SettlementLine.ride_id == Ride.id)
    query = (
        select(
            Ride.id,
            Ride.partner_id,
            Ride.location_id,
            Ride.ridden_at,
            Grant.scheme_id,
            Pass.person_id,
        )
        .join(Grant, Grant.id == Ride.grant_id)
        .join(Pass, Pass.id == Ride.pass_id)
        .where(Ride.result == RIDE_OK, Ride.ridden_at < cutoff, ~settled)
    )
    if partner_id is not None:
        query = query.where(Ride.partner_id == partner_id)
    ridden = session.execute(query).all()
    if not ridden:
        return []
    contracts = _Contracts(
        session.scalars(
            select(Contract)
            .where(Contract.partner_id.in_({row.partner_id for row in ridden}))
            .order_by(Contract.id)  # the oldest first, as pricing.py
        )
    )
    found: list[Source] = []
    months: dict[str, Source] = {}
    for ride_id, pid, location_id, at, scheme_id, person_id in ridden:
        contract = contracts.on(pid, scheme_id, at)
        if contract is None:
            continue
        if contract.tariff_kind == TariffKind.flat_per_holder_month:
            local = at.astimezone(clock.LOCAL)
            key = f"holder-month:{contract.id}:{person_id}:{local:%Y-%m}"
            first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            months.setdefault(
                key,
                Source(
                    key=key,
                    kind=LineKind.holder_month,
                    partner_id=pid,
                    contract_id=contract.id,
                    scheme_id=scheme_id,
                    location_id=None,
                    occurred_at=first.astimezone(dt.UTC),
                    quantity=1,
                    amount=contract.tariff,
                ),
            )
            continue
        per_ride = contract.tariff if contract.tariff_kind == TariffKind.per_ride else None
        found.append(
            Source(
                key=f"ride:{ride_id}",
                kind=LineKind.ride,
                partner_id=pid,
                contract_id=contract.id,
                scheme_id=scheme_id,
                location_id=location_id,
                occurred_at=at,
                quantity=1,
                amount=per_ride,
                ride_id=ride_id,
            )
        )
    found += _new_months(session, months)
    return found


def _new_months(session: Session, months: dict[str, Source]) -> Sequence[Source]:
    """The holder-months not settled before (a late ride in a settled month adds nothing)."""
    if not months:
        return []
    settled: set[str] = set()
    keys = sorted(months)
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        settled.update(
            session.scalars(
                select(SettlementLine.source_key).where(SettlementLine.source_key.in_(chunk))
            )
        )
    return [source for key, source in months.items() if key not in settled]
