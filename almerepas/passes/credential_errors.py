"""Refusals of codes and credentials, and of the keys behind them.

Every refusal of the offline kit (``almerepas.validator.refusals``) has a class here with the same
code, so the service, the API and a validator on a bus speak of the same thing in the same words.
A refused code is a 422: the request was well formed, the code in it is not accepted. The title
is one neutral sentence, the same for every holder, whatever their entitlements.
"""

from __future__ import annotations

from typing import ClassVar

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_
from almerepas.validator import refusals


class CredentialRefused(DomainError):
    """A code or credential is refused; ``code`` says why."""

    code: ClassVar[str] = "credential_refused"
    status = 422
    title = N_("Deze code is niet geldig")


class CredentialMalformed(CredentialRefused):
    code = refusals.MALFORMED
    title = N_("Dit is geen code van een %(pass_name)s")


class CredentialBadSignature(CredentialRefused):
    code = refusals.BAD_SIGNATURE
    title = N_("Deze code is niet echt: de handtekening klopt niet")


class CredentialUnknownKey(CredentialRefused):
    code = refusals.UNKNOWN_KEY
    title = N_("Deze code is gemaakt met een sleutel die we niet kennen")


class CredentialBadAlgorithm(CredentialRefused):
    code = refusals.BAD_ALGORITHM
    title = N_("Deze code is niet echt: de methode van ondertekenen klopt niet")


class HeaderNotAllowed(CredentialRefused):
    code = refusals.HEADER_NOT_ALLOWED
    title = N_("Deze code heeft gegevens die er niet in horen")


class KeyRevoked(CredentialRefused):
    code = refusals.KEY_REVOKED
    title = N_("De sleutel van deze code is ingetrokken")


class CredentialExpired(CredentialRefused):
    code = refusals.EXPIRED
    title = N_("Deze code is verlopen")


class CredentialNotYetValid(CredentialRefused):
    code = refusals.NOT_YET_VALID
    title = N_("Deze code is nog niet geldig")


class CredentialStale(CredentialRefused):
    code = refusals.STALE
    title = N_("Deze code is te oud. Vraag om de code die nu op het scherm staat.")


class CredentialFromFuture(CredentialRefused):
    code = refusals.FROM_FUTURE
    title = N_("Deze code is nog niet aan de beurt. Klopt de klok van de telefoon?")


class CredentialReplayed(CredentialRefused):
    code = refusals.REPLAYED
    title = N_("Deze code is al gebruikt. Vraag om de code die nu op het scherm staat.")


class CredentialRevoked(CredentialRefused):
    code = refusals.REVOKED
    title = N_("Deze code is ingetrokken")


class HolderProofMissing(CredentialRefused):
    code = refusals.HOLDER_PROOF_MISSING
    title = N_("Deze code komt niet van het scherm van de pashouder")


class HolderProofInvalid(CredentialRefused):
    code = refusals.HOLDER_PROOF_INVALID
    title = N_("Deze code hoort niet bij deze telefoon")


class FormatUnsupported(CredentialRefused):
    code = refusals.FORMAT_UNSUPPORTED
    title = N_("Dit soort code kan hier niet gebruikt worden")


class PassBlocked(CredentialRefused):
    code = "pass_blocked"
    title = N_("Deze pas is geblokkeerd")


class PassReplaced(CredentialRefused):
    code = "pass_replaced"
    title = N_("Deze pas is vervangen door een nieuwe pas")


class PassExpired(CredentialRefused):
    code = "pass_expired"
    title = N_("Deze pas is verlopen")


#: refusal code of the kit -> the class the service raises
BY_CODE: dict[str, type[CredentialRefused]] = {
    cls.code: cls
    for cls in (
        CredentialMalformed,
        CredentialBadSignature,
        CredentialUnknownKey,
        CredentialBadAlgorithm,
        HeaderNotAllowed,
        KeyRevoked,
        CredentialExpired,
        CredentialNotYetValid,
        CredentialStale,
        CredentialFromFuture,
        CredentialReplayed,
        CredentialRevoked,
        HolderProofMissing,
        HolderProofInvalid,
        FormatUnsupported,
    )
}


class DeviceKeyInvalid(DomainError):
    code = "device_key_invalid"
    status = 400
    title = N_("De sleutel van dit apparaat is geen openbare P-256-sleutel")


class SigningKeyMissing(DomainError):
    """No key of the family may sign now: run ``almerepas keys rotate``."""

    code = "signing_key_missing"
    status = 503
    title = N_(
        "Er is nog geen sleutel om codes mee te maken. De beheerder maakt die met "
        "almerepas keys rotate."
    )
    retry_after = 60


class KeyNotFound(DomainError):
    code = "key_not_found"
    status = 404
    title = N_("Er is geen sleutel met deze naam")


class KeyAlreadyRetired(DomainError):
    code = "key_already_retired"
    status = 409
    title = N_("Deze sleutel is al buiten gebruik")


class KeyAlreadyRevoked(DomainError):
    code = "key_already_revoked"
    status = 409
    title = N_("Deze sleutel is al ingetrokken")


class OperatorKeyInvalid(DomainError):
    code = "operator_key_invalid"
    status = 400
    title = N_("Dit is geen openbare P-256-sleutel van een vervoerder")
