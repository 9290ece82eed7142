"""Errors with stable machine codes; almerepas.http.problems turns them into problem+json.

Each domain package has its own ``errors.py`` with the refusals it raises; here are the base
class and the errors every layer shares (invalid input, not found, the database).

A code is API: once released it is never renamed. Titles and details are Dutch (the msgid) and
translated through the catalogue; they never contain personal data.
"""

from __future__ import annotations

from typing import Any, ClassVar

from almerepas.core.i18n import N_


class DomainError(Exception):
    """A refusal the caller can act on: it maps to one HTTP status and one stable code."""

    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400
    #: Dutch, marked with N_: the face translates it for the request's language
    title: ClassVar[str] = N_("Dit kan niet")

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        self.detail = detail if detail is not None else self.title
        self.extensions = extensions
        super().__init__(str(self.detail))


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 400
    title = N_("De invoer klopt niet")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = N_("Dit bestaat niet")


class DatabaseBusy(DomainError):
    code = "database_busy"
    status = 503
    title = N_("Het is even te druk. Probeer het over een paar seconden opnieuw.")
    retry_after = 2


class DatabaseUnavailable(DomainError):
    code = "database_unavailable"
    status = 503
    title = N_("De database is niet bereikbaar. Probeer het later opnieuw.")
    retry_after = 30


class MigrationsPending(DomainError):
    code = "migrations_pending"
    status = 503
    title = N_("De database is niet bijgewerkt naar de nieuwste versie.")
    retry_after = 60
