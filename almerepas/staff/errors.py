"""Refusals about staff accounts and logging in."""

from __future__ import annotations

from typing import Any

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class NotAuthenticated(DomainError):
    """No valid token or session: log in first."""

    code = "unauthorized"
    status = 401
    title = N_("U bent niet ingelogd. Log eerst in.")


class LoginFailed(NotAuthenticated):
    """One refusal for an unknown user, a wrong password and a wrong code: no user enumeration."""

    code = "unauthorized"
    status = 401
    title = N_("Inloggen lukt niet. Controleer uw gegevens.")


class AccountLocked(NotAuthenticated):
    """Too many failed logins; 401 like every identity refusal, with Retry-After in seconds."""

    code = "account_locked"
    status = 401
    title = N_(
        "Uw account is even geblokkeerd, omdat het inloggen te vaak mislukte. "
        "Probeer het over 15 minuten opnieuw."
    )

    def __init__(self, detail: Any = None, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.retry_after = max(1, retry_after)


class WeakPassword(DomainError):
    code = "weak_password"
    status = 400
    title = N_("Het wachtwoord moet minstens 12 tekens lang zijn")


class InvalidStaffUser(DomainError):
    code = "invalid_staff_user"
    status = 400
    title = N_("De gegevens van deze medewerker kloppen niet")


class UsernameTaken(DomainError):
    code = "username_taken"
    status = 409
    title = N_("Deze gebruikersnaam bestaat al")
