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


# -- households, norms, assessments, schemes, grants ---------------------------------------------


class NoNorm(DomainError):
    code = "no_norm"
    status = 400
    title = _l("Er is geen norm voor deze datum")


class NormImportRefused(DomainError):
    code = "norm_import_refused"
    status = 400
    title = _l("De normen zijn niet ingelezen")


class PostcodeOutsideAlmere(DomainError):
    code = "postcode_outside_almere"
    status = 400
    title = _l("Deze postcode ligt niet in Almere")


class InvalidBsn(DomainError):
    code = "invalid_bsn"
    status = 400
    title = _l("Dit is geen geldig burgerservicenummer")


class BsnInUse(DomainError):
    code = "bsn_in_use"
    status = 409
    title = _l("Dit burgerservicenummer hoort al bij iemand anders")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = _l("Dit bestaat niet")


class InvalidPeriod(DomainError):
    code = "invalid_period"
    status = 400
    title = _l("Deze periode klopt niet")


class PeriodTooFarAhead(DomainError):
    code = "period_too_far_ahead"
    status = 400
    title = _l("U kunt alleen tot en met de volgende periode toekennen")


class PeriodNotEnded(DomainError):
    code = "period_not_ended"
    status = 409
    title = _l("Deze periode is nog niet voorbij")


class AssessmentOutOfOrder(DomainError):
    code = "assessment_out_of_order"
    status = 409
    title = _l("Er is al een inkomenstoets die op of na deze datum begint")


class InvalidScheme(DomainError):
    code = "invalid_scheme"
    status = 400
    title = _l("Deze regeling klopt niet")


class MembershipConflict(DomainError):
    code = "membership_conflict"
    status = 409
    title = _l("Deze persoon woont op die datum al in een huishouden")


# -- staff accounts, login and roles -------------------------------------------------------------


class NotAuthenticated(DomainError):
    """No valid token or session: log in first."""

    code = "unauthorized"
    status = 401
    title = _l("U bent niet ingelogd. Log eerst in.")


class LoginFailed(NotAuthenticated):
    """One refusal for an unknown user, a wrong password and a wrong code: no user enumeration."""

    code = "unauthorized"
    status = 401
    title = _l("Inloggen lukt niet. Controleer uw gegevens.")


class AccountLocked(NotAuthenticated):
    """Too many failed logins; 401 like every identity refusal, with Retry-After in seconds."""

    code = "account_locked"
    status = 401
    title = _l(
        "Uw account is even geblokkeerd, omdat het inloggen te vaak mislukte. "
        "Probeer het over 15 minuten opnieuw."
    )

    def __init__(self, detail: Any = None, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.retry_after = max(1, retry_after)


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = _l("U mag dit niet doen")


class WeakPassword(DomainError):
    code = "weak_password"
    status = 400
    title = _l("Het wachtwoord moet minstens 12 tekens lang zijn")


class InvalidStaffUser(DomainError):
    code = "invalid_staff_user"
    status = 400
    title = _l("De gegevens van deze medewerker kloppen niet")


class UsernameTaken(DomainError):
    code = "username_taken"
    status = 409
    title = _l("Deze gebruikersnaam bestaat al")


class CsrfFailed(DomainError):
    """A page form without a valid CSRF token, usually because the page was open too long."""

    code = "csrf_failed"
    status = 400
    title = _l("Dit formulier is verlopen. Laad de pagina opnieuw en probeer het nog een keer.")
