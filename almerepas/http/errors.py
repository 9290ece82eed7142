"""Refusals of the HTTP faces themselves: a role that may not, a form without its CSRF token,
JSON nested too deep."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = N_("U mag dit niet doen")


class CsrfFailed(DomainError):
    """A page form without a valid CSRF token, usually because the page was open too long."""

    code = "csrf_failed"
    status = 400
    title = N_("Dit formulier is verlopen. Laad de pagina opnieuw en probeer het nog een keer.")


class JsonTooDeep(DomainError):
    """A JSON body nested deeper than any request needs (http.request_input.MAX_JSON_DEPTH)."""

    code = "json_too_deep"
    status = 400
    title = N_("De JSON is te diep genest")
