"""The payout interface: what a settlement run hands to SEPA (a pain.001 file) or to Stripe
(Connect transfers). Plain data, no database: the two ways of paying are tested on their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Debtor:
    """The gemeente's own bank account, that every SEPA transfer is paid from."""

    name: str
    iban: str
    bic: str


@dataclass(frozen=True)
class PayoutLine:
    """One partner's payment in a run (or one holder's declaration): one SEPA transaction or
    one Stripe transfer."""

    #: the settlement payment's id; part of every identifier Stripe or the bank sees
    payment_id: int
    #: ``ALM-<run>-<payment>``: at most 35 characters of ``[A-Za-z0-9-]``, unique forever
    end_to_end_id: str
    #: None for a holder's declaration
    partner_id: int | None
    #: the partner's name as registered, or the holder's account name; may hold diacritics
    #: and ``&`` (SEPA cleans it)
    name: str
    iban: str
    bic: str | None
    #: cents, above zero
    amount: int
    #: what the partner reads on its bank statement, e.g. ``Almerepas creditnota 2027-01 ...``
    remittance: str
    #: the partner's Stripe connected account (``acct_...``); None for SEPA partners
    stripe_account: str | None = None


@dataclass(frozen=True)
class PayoutBatch:
    """The payments of one run that go one way."""

    run_id: int
    #: ``ALM-<run>``: the SEPA message id, and the Stripe transfer group
    batch_id: str
    #: when the bank is to pay (a TARGET business day)
    execution_date: dt.date
    lines: tuple[PayoutLine, ...]
