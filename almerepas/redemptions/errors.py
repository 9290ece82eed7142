"""Refusals of redemptions and their reversals."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class InsufficientBudget(DomainError):
    code = "insufficient_budget"
    status = 409
    title = N_("Er is niet genoeg budget over")


class QuotaExhausted(DomainError):
    code = "quota_exhausted"
    status = 409
    title = N_("Er zijn niet genoeg meer over")


class GrantExpired(DomainError):
    code = "grant_expired"
    status = 409
    title = N_("Dit tegoed is verlopen")


class NotRedeemable(DomainError):
    """A right (free travel) has no balance to take from; it is not redeemed this way."""

    code = "not_redeemable"
    status = 409
    title = N_("Bij dit recht hoort geen bedrag of aantal")


class ReversalTooLarge(DomainError):
    code = "reversal_exceeds_redemption"
    status = 409
    title = N_("U kunt niet meer terugzetten dan er nog over is van deze betaling")
