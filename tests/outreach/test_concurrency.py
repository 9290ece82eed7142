"""Eight caseworkers press 'send' at the same moment: every household is
reminded once, because the reminder's key is unique in the database. Real threads, each with
its own connection."""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.models import Message, OutreachContact, OutreachRun
from almerepas.outreach import listing, sending
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from tests.conftest import Backend
from tests.factories import KEYS, TEST_ACTOR
from tests.outreach.support import MARCH, family, grant_budgets

THREADS = 8
HOUSEHOLDS = 5


def test_runs_at_the_same_moment_remind_each_household_once(
    app: Flask, backend: Backend, fresh_engine: Engine
) -> None:
    # On SQLite the sends queue for the one writer (BEGIN IMMEDIATE), each after the same read.
    with app.test_request_context(), Session(fresh_engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        for n in range(HOUSEHOLDS):
            family(session, f"Ouder{n}", email=f"ouder{n}@example.nl")
        grant_budgets(session)
        session.commit()

    outcomes: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def press_send() -> None:
        with Session(fresh_engine) as session:  # all read the same list, then all send
            items = listing.outreach_list(session, MARCH, weeks=8)
        start.wait(timeout=60)
        with Session(fresh_engine) as session:
            _run, contacts = sending.send_all(
                session, items, day=MARCH, weeks=8, seed=None, keys=KEYS, now=clock.now(),
                actor=TEST_ACTOR,
            )  # fmt: skip
            session.commit()
        with lock:
            outcomes[len(contacts)] += 1

    pool = [threading.Thread(target=press_send) for _ in range(THREADS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=300)

    assert sum(n * times for n, times in outcomes.items()) == HOUSEHOLDS
    with Session(fresh_engine) as session:
        count = session.scalar
        assert count(select(func.count()).select_from(OutreachRun)) == THREADS
        assert count(select(func.count()).select_from(OutreachContact)) == HOUSEHOLDS
        assert count(select(func.count()).select_from(Message)) == HOUSEHOLDS
        assert count(select(func.count(func.distinct(Message.recipient)))) == HOUSEHOLDS
