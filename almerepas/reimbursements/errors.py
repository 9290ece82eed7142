"""Refusals of declarations; each names the form field it belongs to where there is one."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class DeclarationInvalid(DomainError):
    """What the holder typed or uploaded is not taken; ``field`` is where the message goes."""

    code = "reimbursement_invalid"
    status = 400
    title = N_("De declaratie klopt nog niet")

    def __init__(self, field: str, message: str, **values: object) -> None:
        super().__init__(message, field=field)
        self.field = field
        self.message = message
        self.values = values


class ReceiptUsedBefore(DomainError):
    code = "reimbursement_duplicate"
    status = 409
    title = N_("Dit bonnetje is al eerder ingediend. U kunt een bonnetje maar één keer declareren.")


class ReimbursementDecided(DomainError):
    code = "reimbursement_decided"
    status = 409
    title = N_("Over deze declaratie is al beslist.")


class ReimbursementOverBudget(DomainError):
    code = "reimbursement_over_budget"
    status = 409
    title = N_("Er is niet genoeg tegoed over voor deze declaratie.")


class ReimbursementBudgetExpired(DomainError):
    code = "reimbursement_budget_expired"
    status = 409
    title = N_("Het tegoed van deze declaratie is verlopen.")
