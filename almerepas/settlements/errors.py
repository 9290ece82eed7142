"""Refusals of a settlement run: what stops a payout file from being made."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class InvalidPayoutAccount(DomainError):
    """An IBAN or BIC of a payment (or of the gemeente's own account) that a bank would refuse.

    Extensions name the payment and the field (``iban``, ``bic``, ``debtor_iban``,
    ``debtor_bic``), never the account number itself.
    """

    code = "payout_account_invalid"
    status = 422
    title = N_("Het rekeningnummer voor deze uitbetaling klopt niet")


class InvalidSepaId(ValueError):
    """A message, batch or end-to-end id that a bank would refuse: a bug in how ids are made,
    never the user's input, so it is no DomainError."""
