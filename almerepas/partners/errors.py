"""Refusals of the partner face: who is asking, and where."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class PartnerNotAuthenticated(DomainError):
    """No device key or partner login: the partner side is for partners only."""

    code = "partner_not_authenticated"
    status = 401
    title = N_("Dit apparaat of deze gebruiker is niet aangemeld. Meld u eerst aan.")


class LocationRequired(DomainError):
    """A partner user works for all of the partner's locations: say which one."""

    code = "location_required"
    status = 400
    title = N_("Kies eerst de locatie waar u nu bent.")


class IdempotencyKeyMissing(DomainError):
    code = "idempotency_key_missing"
    status = 400
    title = N_(
        "Het verzoek mist een Idempotency-Key: zo kan het niet per ongeluk twee keer gebeuren."
    )


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422
    title = N_("Deze Idempotency-Key is al gebruikt voor een ander verzoek.")
