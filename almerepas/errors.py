"""Domain errors with stable machine codes; almerepas.problems turns them into problem+json.

A code is API: once released it is never renamed. Titles and details are Dutch (the msgid) and
translated through the catalogue; they never contain personal data.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A refusal the caller can act on: it maps to one HTTP status and one stable code."""

    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400
    title: ClassVar[Any] = _l("Dit kan niet")

    def __init__(self, detail: Any = None, **extensions: Any) -> None:
        self.detail = detail if detail is not None else self.title
        self.extensions = extensions
        super().__init__(str(self.detail))


# -- input ----------------------------------------------------------------------------------


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 400
    title = _l("De invoer klopt niet")


# -- infrastructure -------------------------------------------------------------------------


class DatabaseBusy(DomainError):
    code = "database_busy"
    status = 503
    title = _l("Het is even te druk. Probeer het over een paar seconden opnieuw.")
    retry_after = 2


class DatabaseUnavailable(DomainError):
    code = "database_unavailable"
    status = 503
    title = _l("De database is niet bereikbaar. Probeer het later opnieuw.")
    retry_after = 30


class MigrationsPending(DomainError):
    code = "migrations_pending"
    status = 503
    title = _l("De database is niet bijgewerkt naar de nieuwste versie.")
    retry_after = 60


# -- ledger ---------------------------------------------------------------------------------


class LedgerError(DomainError):
    code = "ledger_error"
    status = 400
    title = _l("Deze boeking kan niet")


class InvalidAmount(LedgerError):
    """Raised for a zero, negative, float or otherwise non-integer amount."""

    code = "invalid_amount"
    status = 400
    title = _l("Een bedrag of aantal moet een heel getal groter dan nul zijn")


class UnitMismatch(LedgerError):
    code = "unit_mismatch"
    status = 400
    title = _l("Deze rekeningen gebruiken niet dezelfde eenheid")


class SameAccount(LedgerError):
    code = "same_account"
    status = 400
    title = _l("Een boeking moet tussen twee verschillende rekeningen gaan")


class EmptyEntry(LedgerError):
    code = "empty_entry"
    status = 400
    title = _l("Een boeking heeft minstens één overboeking nodig")


class AccountNotFound(LedgerError):
    code = "account_not_found"
    status = 404
    title = _l("Deze rekening bestaat niet")


class AccountExists(LedgerError):
    code = "account_exists"
    status = 409
    title = _l("Er bestaat al een rekening met deze code")


class InsufficientBalance(LedgerError):
    code = "insufficient_balance"
    status = 409
    title = _l("Er is niet genoeg saldo")


class EntryExists(LedgerError):
    code = "entry_exists"
    status = 409
    title = _l("Deze boeking is al gedaan")
