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
from dataclasses import dataclass
from typing import Any, TypeVar

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
ACTIVE = KeyStatus.active.value
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


@dataclass(frozen=True)
class _KeyFacts:
    kid: str
    entry: dict[str, Any]
    status: str
    status_changed_at: dt.datetime | None
    verify_until: dt.datetime | None

    def status_at(self, moment: dt.datetime) -> str:
        if self.status == ACTIVE:
            return ACTIVE
        changed = self.status_changed_at
        # retired or revoked only after the ride: it was active then
        return ACTIVE if changed is not None and changed > moment else self.status


class KeysAsOf:
    """Key registries as of a moment, one per distinct state of the keys (a batch of rides
    spread over a week needs one or two, not one per ride)."""

    def __init__(self, session: Session) -> None:
        self._keys = [
            _KeyFacts(
                key.kid,
                signing.jwk_entry(key),
                key.status.value,
                key.status_changed_at,
                key.verify_until,
            )
            for key in session.scalars(
                select(SigningKey).where(SigningKey.family.in_(SIGNING_FAMILIES))
            )
        ]
        self._registries: dict[tuple[tuple[str, str], ...], KeyRegistry] = {}

    def at(self, moment: dt.datetime) -> KeyRegistry:
        state = tuple(
            (key.kid, key.status_at(moment))
            for key in self._keys
            if key.verify_until is None or key.verify_until > moment
        )
        registry = self._registries.get(state)
        if registry is None:
            status = dict(state)
            registry = KeyRegistry(
                KeyRecord.from_jwk({**key.entry, "status": status[key.kid]})
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


class Peeker:
    """The ``p`` claim of a code, read without checking anything: only to load the credentials
    of a batch in one query before each code is verified properly. Remembered per credential
    (a phone's codes share theirs, a card shows the same one every ride)."""

    def __init__(self) -> None:
        self._seen: dict[str, str | None] = {}

    def __call__(self, code: str) -> str | None:
        credential = code.split("~", 1)[0]
        if credential not in self._seen:
            self._seen[credential] = self._read(credential)
        return self._seen[credential]

    @staticmethod
    def _read(credential: str) -> str | None:
        try:
            pseudonym = json_object(unb64url(credential.split(".")[1])).get("p")
        except (IndexError, ValueError, UnicodeError):
            return None
        return pseudonym if isinstance(pseudonym, str) and len(pseudonym) <= 22 else None


@dataclass(frozen=True)
class CredentialFacts:
    """What judging a ride needs of a credential and its pass, read once per batch."""

    pseudonym: str
    revocation_hash: str
    revoked_at: dt.datetime | None
    generation: int
    pass_id: int
    person_id: int
    pass_generation: int
    pass_status: PassStatus
    pass_changed_at: dt.datetime | None
    valid_until: dt.date


def load_credentials(session: Session, pseudonyms: Iterable[str]) -> dict[str, CredentialFacts]:
    """Credentials by pseudonym, with their passes, in a query per CHUNK pseudonyms."""
    wanted = sorted(set(pseudonyms))
    found: dict[str, CredentialFacts] = {}
    for part in chunks(wanted):
        rows = session.execute(
            select(
                Credential.pseudonym,
                Credential.revocation_hash,
                Credential.revoked_at,
                Credential.generation,
                Pass.id,
                Pass.person_id,
                Pass.generation,
                Pass.status,
                Pass.status_changed_at,
                Pass.valid_until,
            )
            .join(Pass, Pass.id == Credential.pass_id)
            .where(Credential.pseudonym.in_(part))
        )
        for (
            pseudonym,
            hash_,
            revoked,
            generation,
            pass_id,
            person,
            pass_gen,
            status,
            changed,
            until,
        ) in rows:
            found[pseudonym] = CredentialFacts(
                pseudonym, hash_, revoked, generation, pass_id, person, pass_gen, status, changed,
                until,
            )  # fmt: skip
    return found


def pass_refusal_at(credential: CredentialFacts, moment: dt.datetime) -> str | None:
    """Why the credential's pass did not work at ``moment``, as far as the data tells; None if
    it did."""
    if credential.valid_until < moment.astimezone(clock.LOCAL).date():
        return PassExpired.code
    changed = credential.pass_changed_at
    if credential.pass_status != PassStatus.active and (changed is None or changed <= moment):
        return _BY_STATUS[credential.pass_status]
    if credential.generation != credential.pass_generation:
        return PassReplaced.code
    return None


def revoked_refusal_at(credential: CredentialFacts | None, moment: dt.datetime) -> str:
    """A credential revoked at the ride: the pass's reason when the pass tells it, as online."""
    if credential is not None and (reason := pass_refusal_at(credential, moment)) is not None:
        return reason
    return codes.REVOKED
