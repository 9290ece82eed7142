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


class OwnRoleChange(DomainError):
    """Nobody raises their own rights: another administrator changes a role."""

    code = "own_role_change"
    status = 409
    title = N_("U kunt uw eigen rol niet wijzigen. Vraag een andere beheerder.")


class OwnAccountDisable(DomainError):
    """An administrator who turns off their own account may lock the gemeente out."""

    code = "own_account_disable"
    status = 409
    title = N_("U kunt uw eigen account niet uitzetten. Vraag een andere beheerder.")


class LastAdministrator(DomainError):
    """Without an active administrator nobody can manage accounts any more."""

    code = "last_administrator"
    status = 409
    title = N_("Dit is de laatste actieve beheerder. Maak eerst een andere beheerder.")


class LocalLoginDisabled(DomainError):
    """ALMEREPAS_LOCAL_STAFF_LOGIN=off: staff log in through the gemeente's identity provider."""

    code = "local_login_disabled"
    status = 403
    title = N_(
        "Inloggen met een wachtwoord staat uit. Log in via de gemeente met uw gemeenteaccount."
    )


class SsoNoRole(DomainError):
    """The identity provider's role claim holds no group that the role map knows."""

    code = "sso_no_role"
    status = 403
    title = N_(
        "U heeft geen rol in %(pass_name)s. Vraag uw leidinggevende om u toe te voegen aan een "
        "groep van %(pass_name)s."
    )


class SsoSeveralRoles(DomainError):
    """Two groups that map to different roles: never a guess which one is meant."""

    code = "sso_several_roles"
    status = 403
    title = N_(
        "U staat in meer dan één groep van %(pass_name)s. Vraag de servicedesk om u in één groep "
        "te zetten."
    )


class SsoAccountDisabled(DomainError):
    """An administrator turned the account off; the identity provider does not turn it on."""

    code = "sso_account_disabled"
    status = 403
    title = N_("Uw account in %(pass_name)s staat uit. Vraag een beheerder van %(pass_name)s.")
