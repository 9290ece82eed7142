"""How things stood at the moment of a ride: the keys, a credential's revocation, the pass.

An offline ride is judged as the validator should have judged it then, with what the service
knows now about that moment (docs/redemption.md, Offline rides):

- **keys**: the phone and card keys not yet past ``verify_until`` at the ride; a key revoked
  (compromised) after the ride still counts as the key it was then, so a ride before the
  revocation stands. ``issue_from`` and ``issue_until`` are moments themselves: a code that
  claims to be signed outside its key's signing period is refused whenever it is judged.
- **revocation**: a credential counts as revoked at the ride only when ``revoked_at`` is at or
  before the ride's time.
- **the pass**: past its last valid day at the ride, or blocked, replaced or expired at or
  before the ride (``status_changed_at``). Only the last status change is kept, so a pass
  blocked before the ride and replaced after it looks active at the ride; blocking revokes the
  pass's credentials, so such a ride is refused all the same (credential_revoked).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.passes import keys as signing
from almerepas.passes.credential_errors import PassBlocked, PassExpired, PassReplaced
from almerepas.passes.credential_models import Credential, KeyFamily, KeyStatus, SigningKey
from almerepas.passes.models import Pass, PassStatus
from almerepas.validator import KeyRecord, KeyRegistry
from almerepas.validator import refusals as codes
from almerepas.validator.encoding import json_object, unb64url

T = TypeVar("T")
SIGNING_FAMILIES = (KeyFamily.phone, KeyFamily.card)
#: IN lists are sent in parts of this many values (SQLite's limit is 32766 bind values).
CHUNK = 5000
_BY_STATUS = {
    PassStatus.blocked: PassBlocked.code,
    PassStatus.replaced: PassReplaced.code,
    PassStatus.expired: PassExpired.code,
}


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    """``values`` in parts of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class KeysAsOf:
    """Key registries as of a moment, one per distinct state of the keys (a batch of rides
    spread over a week needs one or two, not one per ride)."""

    def __init__(self, session: Session) -> None:
        self._keys = list(
            session.scalars(select(SigningKey).where(SigningKey.family.in_(SIGNING_FAMILIES)))
        )
        self._registries: dict[tuple[tuple[str, str], ...], KeyRegistry] = {}

    @staticmethod
    def _status_at(key: SigningKey, moment: dt.datetime) -> str:
        changed = key.status_changed_at
        if key.status != KeyStatus.active and changed is not None and changed > moment:
            return KeyStatus.active.value  # retired or revoked only after the ride
        return key.status.value

    def at(self, moment: dt.datetime) -> KeyRegistry:
        state = tuple(
            (key.kid, self._status_at(key, moment))
            for key in self._keys
            if key.verify_until is None or key.verify_until > moment
        )
        registry = self._registries.get(state)
        if registry is None:
            status = dict(state)
            registry = KeyRegistry(
                KeyRecord.from_jwk({**signing.jwk_entry(key), "status": status[key.kid]})
                for key in self._keys
                if key.kid in status
            )
            self._registries[state] = registry
        return registry


class RevokedAt:
    """The revocation list as it stood at ``moment``: the kit asks ``hash in revoked``."""

    def __init__(self, revoked: Mapping[str, dt.datetime], moment: dt.datetime) -> None:
        self.revoked = revoked
        self.moment = moment

    def __contains__(self, revocation_hash: object) -> bool:
        if not isinstance(revocation_hash, str):
            return False
        revoked_at = self.revoked.get(revocation_hash)
        return revoked_at is not None and revoked_at <= self.moment


def peek_pseudonym(code: str) -> str | None:
    """The ``p`` claim of a code, read without checking anything: only to load the credentials
    of a batch in one query before each code is verified properly."""
    try:
        payload = code.split("~", 1)[0].split(".")[1]
        pseudonym = json_object(unb64url(payload)).get("p")
    except (IndexError, ValueError, UnicodeError):
        return None
    return pseudonym if isinstance(pseudonym, str) and len(pseudonym) <= 22 else None


def load_credentials(session: Session, pseudonyms: Iterable[str]) -> dict[str, Credential]:
    """Credentials by pseudonym, with their passes, in a query per CHUNK pseudonyms."""
    wanted = sorted(set(pseudonyms))
    found: dict[str, Credential] = {}
    for part in chunks(wanted):
        for credential in session.scalars(
            select(Credential).where(Credential.pseudonym.in_(part))
        ).unique():
            found[credential.pseudonym] = credential
    return found


def pass_refusal_at(credential: Credential, moment: dt.datetime) -> str | None:
    """Why the credential's pass did not work at ``moment``, as far as the data tells; None if
    it did."""
    pass_: Pass = credential.pass_
    if pass_.valid_until < moment.astimezone(clock.LOCAL).date():
        return PassExpired.code
    changed = pass_.status_changed_at
    if pass_.status != PassStatus.active and (changed is None or changed <= moment):
        return _BY_STATUS[pass_.status]
    if credential.generation != pass_.generation:
        return PassReplaced.code
    return None


def revoked_refusal_at(credential: Credential | None, moment: dt.datetime) -> str:
    """A credential revoked at the ride: the pass's reason when the pass tells it, as online."""
    if credential is not None and (reason := pass_refusal_at(credential, moment)) is not None:
        return reason
    return codes.REVOKED
