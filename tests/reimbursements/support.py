"""A child's budget, a receipt as a phone photographs it, and a declaration made of both."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from almerepas.grants.models import Grant
from almerepas.households.models import Person
from almerepas.reimbursements import declaring
from almerepas.reimbursements.models import Reimbursement
from tests.applications.support import png_bytes
from tests.factories import TEST_ACTOR
from tests.redemptions.support import JUNE

#: the Dutch test IBAN of the documentation, valid by its check digits
IBAN = "NL91ABNA0417164300"
MAX_BYTES = 2 * 1024 * 1024


def receipt(n: int = 1, **changes: object) -> declaring.Receipt:
    """Receipt ``n``: its own photo (``n`` sets its size, so its bytes and hash)."""
    values: dict[str, object] = {
        "amount": 45_00,
        "paid_on": dt.date(2026, 6, 1),
        "paid_to": "Zwemvereniging De Dolfijn",
        "iban": "NL91 ABNA 0417 1643 00",
        "account_name": "F. El Amrani",
        "data": png_bytes((40 + n, 30)),
    }
    return declaring.Receipt(**(values | changes))  # type: ignore[arg-type]


def declare(
    session: Session, grant: Grant, found: declaring.Receipt | None = None
) -> Reimbursement:
    """The receipt declared for the grant by the child's own holder, on 15 June 2026."""
    return declaring.declare(
        session, grant, found or receipt(), holder=holder_of(session, grant),
        max_bytes=MAX_BYTES, now=JUNE, actor=TEST_ACTOR,
    )  # fmt: skip


def holder_of(session: Session, grant: Grant) -> Person:
    assert grant.person_id is not None
    return session.get_one(Person, grant.person_id)
