"""Refusals of the holder's login. None of them tells whether a contact belongs to anyone."""

from __future__ import annotations

from typing import Any

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class InvalidContact(DomainError):
    code = "invalid_contact"
    status = 400
    title = N_("Vul een e-mailadres in, of een mobiel nummer dat begint met 06.")


class TooManyCodes(DomainError):
    """The rate limit per contact; the same for a contact nobody has."""

    code = "too_many_codes"
    status = 429
    title = N_(
        "U heeft al 3 keer een code gevraagd. Wacht een kwartier en vraag dan een nieuwe code."
    )

    def __init__(self, detail: Any = None, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.retry_after = max(1, retry_after)


class LoginCodeInvalid(DomainError):
    """A wrong code, a code already used, or no code asked for this contact."""

    code = "login_code_invalid"
    status = 401
    title = N_("Deze code klopt niet. Kijk of u de laatste code goed heeft overgenomen.")


class LoginCodeExpired(DomainError):
    code = "login_code_expired"
    status = 401
    title = N_("Deze code is verlopen. Een code werkt 10 minuten. Vraag een nieuwe code aan.")


class LoginCodeLocked(DomainError):
    code = "login_code_locked"
    status = 401
    title = N_("U heeft 5 keer een verkeerde code ingevuld. Vraag een nieuwe code aan.")


class SsoNoBsn(DomainError):
    """The broker's token carries no valid BSN in the configured claim."""

    code = "sso_no_bsn"
    status = 401
    title = N_("Inloggen met DigiD is niet gelukt. Probeer het opnieuw of log in met een code.")


class NoPassForBsn(DomainError):
    """Nobody living in the gemeente today has this BSN: a kind page that says how to apply."""

    code = "no_pass_for_bsn"
    status = 404
    title = N_("Wij hebben geen %(pass_name)s voor u gevonden.")
