"""Two requests for the same contract at the same moment: one is made, the others are refused
as overlapping. The partner's row is locked while the overlap is checked."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almerepas.contracts import agreements, partners
from almerepas.contracts.errors import ContractOverlaps
from almerepas.core.session import run_unit_of_work
from almerepas.models import Contract
from almerepas.reference.loaders import load_schemes
from almerepas.schemes import catalogue as schemes
from tests.factories import TEST_ACTOR

THREADS = 4


def test_simultaneous_overlapping_contracts_make_exactly_one(fresh_engine: Engine) -> None:
    with Session(fresh_engine) as session:
        load_schemes(session)
        partner = partners.create_partner(
            session,
            {"name": "Sportclub", "kvk_number": "12345678", "iban": "NL91ABNA0417164300",
             "payout_method": "sepa"},
            actor=TEST_ACTOR,
        )  # fmt: skip
        hall = partners.add_location(
            session, partner,
            {"name": "Hal", "street": "Havenstraat", "house_number": "1", "postcode": "1315AB",
             "kind": "sport"},
            actor=TEST_ACTOR,
        )  # fmt: skip
        session.commit()
        partner_id, hall_id = partner.id, hall.id

    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(month: int) -> None:
        with Session(fresh_engine) as session:

            def work() -> None:
                agreements.create_contract(
                    session,
                    partners.get_partner(session, partner_id),
                    scheme=schemes.get_scheme(session, "stadsfonds"),
                    location_ids=[hall_id],
                    valid_from=dt.date(2027, month, 1),
                    valid_to=None,
                    tariff_kind="amount_redeemed",
                    tariff=None,
                    actor=TEST_ACTOR,
                )

            start.wait()
            try:
                run_unit_of_work(session, work)
                result = "made"
            except ContractOverlaps:
                result = "overlaps"
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=worker, args=(m + 1,)) for m in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == Counter(made=1, overlaps=THREADS - 1)
    with Session(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(Contract)) == 1
