"""Does it help? A seeded, recorded split into a reminded half and a comparison half, take-up
four weeks later in each, and the difference with its 95% interval on known numbers."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import Message, OutreachContact, OutreachRun
from almerepas.outreach import experiment, sending
from almerepas.outreach.experiment import Half
from almerepas.outreach.models import Group
from tests.fixtures import FrozenClock
from tests.outreach.support import MARCH, cli, family, grant_budgets, on, redeem


def test_the_interval_of_a_difference_of_two_proportions_on_known_numbers() -> None:
    # 60 of 200 against 40 of 200: 0.30 - 0.20 = 0.10, standard error sqrt(0.00185) = 0.04301
    interval = experiment.difference_interval(Half(200, 60), Half(200, 40))
    assert interval is not None
    assert interval.difference == pytest.approx(0.10)
    assert interval.low == pytest.approx(0.10 - 1.959964 * 0.0430116, abs=1e-6)
    assert interval.high == pytest.approx(0.10 + 1.959964 * 0.0430116, abs=1e-6)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.0157, 0.1843)
    assert Half(200, 60).share == Fraction(3, 10)
    assert experiment.difference_interval(Half(0, 0), Half(10, 1)) is None


def test_the_split_is_half_and_the_same_for_the_same_seed() -> None:
    keys = [f"k{n}" for n in range(11)]
    first = sending.split(keys, 42)
    assert len(first) == 6
    assert sending.split(list(reversed(keys)), 42) == first  # the order read does not matter
    assert any(sending.split(keys, seed) != first for seed in (1, 2, 3))


def test_an_experiment_records_both_halves_and_reports_take_up_after_four_weeks(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    households = [family(db, f"Ouder{n}", email=f"ouder{n}@example.nl") for n in range(6)]
    grant_budgets(db)
    db.commit()
    on(frozen_clock, MARCH)

    output = cli(app, "send", "--experiment", "--seed", "20261130")

    run = db.scalars(select(OutreachRun)).one()
    assert (run.experiment, run.seed) == (True, 20261130)
    assert "startgetal 20261130" in output
    contacts = db.scalars(select(OutreachContact).order_by(OutreachContact.id)).all()
    reminded = {c.key for c in contacts if c.group == Group.reminded}
    assert len(reminded) == 3 and len(contacts) == 6
    assert reminded == sending.split([c.key for c in contacts], 20261130)  # made again
    assert all(c.run_id == run.id for c in contacts)
    assert {c.channel for c in contacts if c.group == Group.comparison} == {None}
    mailed = set(db.scalars(select(Message.recipient)))
    by_id = {h.id: h for h in households}
    assert mailed == {by_id[c.household_id].email for c in contacts if c.key in reminded}
    assert "Vandaag hoeft niemand" in cli(app, "send")  # the comparison half stays unreminded

    # Two reminded households and one of the comparison use their budget within four weeks;
    # one more reminded household only after the four weeks.
    used_r = [by_id[c.household_id] for c in contacts if c.key in reminded]
    used_c = [by_id[c.household_id] for c in contacts if c.key not in reminded]
    frozen_clock.advance(days=10)
    for household in (*used_r[:2], used_c[0]):
        redeem(db, household)
    frozen_clock.advance(days=20)
    redeem(db, used_r[2])
    db.commit()

    result = experiment.take_up(db, run.id)
    assert (result.reminded, result.comparison) == (Half(3, 2), Half(3, 1))
    assert result.final_on == MARCH + dt.timedelta(weeks=4)
    assert result.interval is not None
    assert result.interval.difference == pytest.approx(1 / 3)
    report = cli(app, "report", str(run.id))
    assert "herinnerd: 2 van 3 (66.7%)" in report
    assert "vergelijking: 1 van 3 (33.3%)" in report
    assert re.search(r"verschil: \+33\.3% \(95%-betrouwbaarheidsinterval -", report)
