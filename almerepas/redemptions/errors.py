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


class NotContracted(DomainError):
    """This partner has no running contract for the scheme (or for any scheme of this pass)."""

    code = "not_contracted"
    status = 409
    title = N_("Deze regeling kunt u hier niet gebruiken")


class LocationNotAllowed(DomainError):
    code = "location_not_allowed"
    status = 403
    title = N_("Op deze locatie kunt u deze regeling niet gebruiken")


class ScanUnknown(DomainError):
    code = "scan_unknown"
    status = 404
    title = N_("Deze scan is niet bekend. Scan de pas opnieuw.")


class ScanExpired(DomainError):
    code = "scan_expired"
    status = 409
    title = N_("Deze scan is te oud. Scan de pas opnieuw.")


class ScanUsed(DomainError):
    """A scan reference is spent by one redemption; a replay of it is refused."""

    code = "scan_used"
    status = 409
    title = N_("Met deze scan is al iets afgeschreven. Scan de pas opnieuw.")


class PassUnknown(DomainError):
    code = "pass_unknown"
    status = 404
    title = N_("Er is geen %(pass_name)s met dit nummer")


class ReversalWindowClosed(DomainError):
    code = "reversal_window_closed"
    status = 409
    title = N_("De termijn om dit terug te draaien is voorbij")


class NoEntitlement(DomainError):
    """The holder has no grant of this scheme this period (too young, not eligible, moved)."""

    code = "no_entitlement"
    status = 409
    title = N_("Deze pashouder heeft hier geen tegoed voor")


# -- offline rides: each is the ``result`` of one ride in a batch, never a problem of its own,
# -- except ``too_many_rides``, which refuses the whole batch. docs/redemption.md, Offline rides.


class RideInFuture(DomainError):
    """The ride's time lies further ahead of the service's clock than the allowed skew."""

    code = "ride_in_future"
    status = 422
    title = N_("Deze rit ligt in de toekomst. Zet de klok van de validator gelijk.")


class RideTooOld(DomainError):
    code = "ride_too_old"
    status = 422
    title = N_("Deze rit is te oud om nog te verwerken.")


class RideInvalid(DomainError):
    """A ride in the batch misses a field or has one that cannot be read (a time without a
    time zone); it is not stored, so the validator can send it again once fixed."""

    code = "ride_invalid"
    status = 422
    title = N_("Deze rit is niet compleet of niet leesbaar.")


class TooManyRides(DomainError):
    code = "too_many_rides"
    status = 413
    title = N_("Stuur hoogstens 10.000 ritten per keer.")
