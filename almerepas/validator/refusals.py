"""Every refusal of the kit has one stable code: the validator shows it, logs it, and the service
maps it to a problem of the same code (almerepas.passes.credential_errors)."""

from __future__ import annotations

from typing import Final

#: Not a code at all: too long, not ASCII, wrong segments, bad base64 or JSON, missing claims.
MALFORMED: Final = "credential_malformed"
#: The signature does not match: another key, a changed byte, a forged signature.
BAD_SIGNATURE: Final = "credential_bad_signature"
#: No such key id (or an injected one), or the key is not one for this kind of credential.
UNKNOWN_KEY: Final = "credential_unknown_key"
#: The header names another algorithm than the key's (``none``, HS256, ...).
BAD_ALGORITHM: Final = "credential_bad_algorithm"
#: A header other than ``alg`` and ``kid`` (``jku``, ``x5u``, ``jwk``, ``x5c``, ``crit``...).
HEADER_NOT_ALLOWED: Final = "header_not_allowed"
#: The key is revoked (compromised), or signed after it stopped issuing.
KEY_REVOKED: Final = "key_revoked"
EXPIRED: Final = "credential_expired"
NOT_YET_VALID: Final = "credential_not_yet_valid"
#: The phone code's time step is older than the window: a screenshot.
STALE: Final = "credential_stale"
#: The phone code's time step is ahead of the window: made in advance, or a clock far ahead.
FROM_FUTURE: Final = "credential_from_future"
#: This pseudonym and time step were seen before (whatever the signature bytes).
REPLAYED: Final = "credential_replayed"
#: On the revocation list: the pass was blocked or replaced.
REVOKED: Final = "credential_revoked"
#: A phone credential shown without the holder's signature over the time step.
HOLDER_PROOF_MISSING: Final = "holder_proof_missing"
#: The holder's signature does not match the device key in the credential.
HOLDER_PROOF_INVALID: Final = "holder_proof_invalid"
#: A version, type or claim this validator does not accept here (a card where a phone is needed).
FORMAT_UNSUPPORTED: Final = "format_unsupported"
#: The validator's bundle is too old to decide on (or its clock is behind the bundle).
DATA_STALE: Final = "validator_data_stale"
#: The validator's clock disagreed with the service at the last sync.
CLOCK_UNSYNCED: Final = "validator_clock_unsynced"
#: A bundle whose signature or content is wrong (applying it changes nothing).
BUNDLE_INVALID: Final = "bundle_invalid"
#: A bundle older than the one the validator has (a rollback; applying it changes nothing).
BUNDLE_ROLLBACK: Final = "bundle_rollback"
#: A delta bundle that starts after the validator's cursor: fetch a full one.
BUNDLE_GAP: Final = "bundle_gap"

#: The codes :func:`almerepas.validator.verify` can raise, in the order it checks.
VERIFY_CODES: Final = (
    MALFORMED,
    HEADER_NOT_ALLOWED,
    UNKNOWN_KEY,
    KEY_REVOKED,
    BAD_ALGORITHM,
    BAD_SIGNATURE,
    FORMAT_UNSUPPORTED,
    EXPIRED,
    NOT_YET_VALID,
    REVOKED,
    HOLDER_PROOF_MISSING,
    HOLDER_PROOF_INVALID,
    STALE,
    FROM_FUTURE,
    REPLAYED,
)
#: What only a validator with a bundle says about itself (Validator.scan).
STATE_CODES: Final = (DATA_STALE, CLOCK_UNSYNCED)
BUNDLE_CODES: Final = (BUNDLE_INVALID, BUNDLE_ROLLBACK, BUNDLE_GAP)


class Refusal(Exception):
    """A code is refused; ``code`` says why, one of the constants above.

    ``pseudonym`` is set once the credential's signature has been checked, so the service can
    look up the pass of a revoked credential to say why; it is never shown to a scanner.
    """

    def __init__(self, code: str, *, pseudonym: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.pseudonym = pseudonym
