"""Refusals of the ledger: amounts, units, accounts and balances."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class LedgerError(DomainError):
    code = "ledger_error"
    status = 400
    title = N_("Deze boeking kan niet")


class InvalidAmount(LedgerError):
    """Raised for a zero, negative, float or otherwise non-integer amount."""

    code = "invalid_amount"
    status = 400
    title = N_("Een bedrag of aantal moet een heel getal groter dan nul zijn")


class UnitMismatch(LedgerError):
    code = "unit_mismatch"
    status = 400
    title = N_("Deze rekeningen gebruiken niet dezelfde eenheid")


class SameAccount(LedgerError):
    code = "same_account"
    status = 400
    title = N_("Een boeking moet tussen twee verschillende rekeningen gaan")


class EmptyEntry(LedgerError):
    code = "empty_entry"
    status = 400
    title = N_("Een boeking heeft minstens één overboeking nodig")


class AccountNotFound(LedgerError):
    code = "account_not_found"
    status = 404
    title = N_("Deze rekening bestaat niet")


class AccountExists(LedgerError):
    code = "account_exists"
    status = 409
    title = N_("Er bestaat al een rekening met deze code")


class InsufficientBalance(LedgerError):
    code = "insufficient_balance"
    status = 409
    title = N_("Er is niet genoeg saldo")


class EntryExists(LedgerError):
    code = "entry_exists"
    status = 409
    title = N_("Deze boeking is al gedaan")
