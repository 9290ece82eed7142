"""Signing keys: made, rotated, retired and published; the private half never leaves encrypted.

One P-256 key pair per key id, one algorithm per key, separate families (phone, card, bundle,
bus; operator keys are imported). ``rotate`` makes a family's next key: published at once, signing
from ``issue_from`` (a week later when the family already has a key, so offline validators learn
it first); the key it replaces signs until then and stays valid for verification until everything
it signed has expired. ``retire`` takes a key out of use; ``retire(..., compromised=True)``
revokes it and every validator refuses what it signed at its next bundle (``key_revoked``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Select, Table, bindparam, or_, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.crypto import Keyring
from almerepas.passes.credential_errors import (
    KeyAlreadyRetired,
    KeyAlreadyRevoked,
    KeyNotFound,
    OperatorKeyInvalid,
    SigningKeyMissing,
)
from almerepas.passes.credential_models import KeyFamily, KeyStatus, SigningKey
from almerepas.validator.encoding import b64url
from almerepas.validator.registry import KeyRecord, KeyRegistry, public_key_from_jwk

#: A phone credential's life: the same for every holder.
PHONE_VALIDITY = dt.timedelta(hours=72)
#: The longest a card's code is valid; a pass valid for longer gets a new card by then.
CARD_MAX_VALIDITY = dt.timedelta(days=731)
#: How long a validator may work offline on one bundle (validator.bundle.REFUSE_AFTER).
OFFLINE_LIMIT = dt.timedelta(days=7)
#: A new key of a family that has one is published this long before it signs.
PUBLISH_AHEAD = OFFLINE_LIMIT

PREFIX = {
    KeyFamily.phone: "P",
    KeyFamily.card: "C",
    KeyFamily.bundle: "B",
    KeyFamily.bus: "E",
    KeyFamily.operator: "O",
}
ALGORITHM = {
    KeyFamily.phone: "ES256",
    KeyFamily.card: "ES256",
    KeyFamily.bundle: "ES256",
    KeyFamily.bus: "ECDH-P256",
    KeyFamily.operator: "ECDH-P256",
}
#: How long what a key made stays valid after the key made it.
LIFETIME = {
    KeyFamily.phone: PHONE_VALIDITY,
    KeyFamily.card: CARD_MAX_VALIDITY,
    KeyFamily.bundle: OFFLINE_LIMIT,
    KeyFamily.bus: PHONE_VALIDITY,
    KeyFamily.operator: PHONE_VALIDITY,
}
#: The families ``almerepas keys rotate`` makes keys for (operator keys come from the operator).
OWN_FAMILIES = (KeyFamily.phone, KeyFamily.card, KeyFamily.bundle, KeyFamily.bus)


def _unix(moment: dt.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _jwk(public: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def _next_kid(session: Session, family: KeyFamily) -> str:
    taken = set(session.scalars(select(SigningKey.kid).where(SigningKey.family == family)))
    number = len(taken) + 1
    while f"{PREFIX[family]}{_base36(number)}" in taken:
        number += 1
    return f"{PREFIX[family]}{_base36(number)}"


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _open_keys(session: Session, family: KeyFamily) -> list[SigningKey]:
    """The family's keys that are active and have no end to their signing yet."""
    return list(
        session.scalars(
            select(SigningKey).where(
                SigningKey.family == family,
                SigningKey.status == KeyStatus.active,
                SigningKey.issue_until.is_(None),
            )
        )
    )


def _create(
    session: Session, family: KeyFamily, *, keys: Keyring, now: dt.datetime, issue_from: dt.datetime
) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    key = SigningKey(
        kid=_next_kid(session, family),
        family=family,
        alg=ALGORITHM[family],
        public_jwk=_jwk(private.public_key()),
        private_key_encrypted=keys.encrypt(pem),
        status=KeyStatus.active,
        created_at=now,
        issue_from=issue_from,
    )
    session.add(key)
    session.flush()
    return key


def rotate(
    session: Session,
    *,
    families: Iterable[KeyFamily],
    keys: Keyring,
    actor: Actor,
    now: dt.datetime,
    publish_ahead: dt.timedelta = PUBLISH_AHEAD,
) -> list[SigningKey]:
    """Make the next key of each family. A family without a signing key gets one that signs at
    once; otherwise the new key signs from ``now + publish_ahead`` and the old one until then."""
    made = []
    for family in families:
        if family not in OWN_FAMILIES:
            raise ValueError(f"{family} keys are imported, not made")
        current = _open_keys(session, family)
        issue_from = now + publish_ahead if current else now
        key = _create(session, family, keys=keys, now=now, issue_from=issue_from)
        for old in current:
            old.issue_until = issue_from
            old.verify_until = issue_from + LIFETIME[family]
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="key.rotate",
            entity_type="signing_key",
            entity_id=key.id,
            changes={
                "kid": key.kid,
                "family": family.value,
                "issue_from": issue_from,
                "replaces": [old.kid for old in current],
            },
        )
        made.append(key)
    return made


def ensure_keys(
    session: Session, *, keys: Keyring, actor: Actor, now: dt.datetime
) -> list[SigningKey]:
    """A key for every family of our own that has none that signs: what a new installation needs.
    Running it again changes nothing."""
    missing = [f for f in OWN_FAMILIES if not _open_keys(session, f)]
    return rotate(session, families=missing, keys=keys, actor=actor, now=now)


def by_kid(session: Session, kid: str) -> SigningKey:
    key = session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if key is None:
        raise KeyNotFound()
    return key


def retire(
    session: Session,
    kid: str,
    *,
    compromised: bool = False,
    actor: Actor,
    now: dt.datetime,
) -> SigningKey:
    """Stop a key signing. It keeps verifying what it signed until that expired, unless it is
    ``compromised``: then it is revoked and nothing it signed is accepted any more."""
    key = by_kid(session, kid)
    before = key.status
    if before == KeyStatus.revoked:
        raise KeyAlreadyRevoked()
    if compromised:
        key.status = KeyStatus.revoked
    elif before == KeyStatus.retired:
        raise KeyAlreadyRetired()
    else:
        key.status = KeyStatus.retired
    if key.issue_until is None or key.issue_until > now:
        key.issue_until = max(now, key.issue_from)
    key.verify_until = key.issue_until + LIFETIME[key.family]
    key.status_changed_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="key.retire",
        entity_type="signing_key",
        entity_id=key.id,
        changes={"kid": key.kid, "status": [before.value, key.status.value]},
    )
    return key


def import_operator_key(
    session: Session, public_key: str, *, actor: Actor, now: dt.datetime
) -> SigningKey:
    """Register the bus operator's validator public key (PEM or JWK): bus claims are then
    encrypted to it. Its private key stays with the operator."""
    try:
        if public_key.lstrip().startswith("{"):
            public = public_key_from_jwk(json.loads(public_key))
        else:
            loaded = serialization.load_pem_public_key(public_key.encode("ascii"))
            if not isinstance(loaded, ec.EllipticCurvePublicKey) or not isinstance(
                loaded.curve, ec.SECP256R1
            ):
                raise ValueError("not P-256")
            public = loaded
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise OperatorKeyInvalid() from exc
    key = SigningKey(
        kid=_next_kid(session, KeyFamily.operator),
        family=KeyFamily.operator,
        alg=ALGORITHM[KeyFamily.operator],
        public_jwk=_jwk(public),
        private_key_encrypted=None,
        status=KeyStatus.active,
        created_at=now,
        issue_from=now,
    )
    session.add(key)
    for old in _open_keys(session, KeyFamily.operator):
        if old is not key:
            old.issue_until = now
            old.verify_until = now + LIFETIME[KeyFamily.operator]
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="key.import",
        entity_type="signing_key",
        entity_id=key.id,
        changes={"kid": key.kid, "family": KeyFamily.operator.value},
    )
    return key


def signing_key(session: Session, family: KeyFamily, *, now: dt.datetime) -> SigningKey:
    """The key that signs for ``family`` at ``now``: the newest active one whose signing period
    holds ``now``."""
    key = current_key(session, family, now=now)
    if key is None:
        raise SigningKeyMissing()
    return key


def current_key(session: Session, family: KeyFamily, *, now: dt.datetime) -> SigningKey | None:
    return session.scalar(
        select(SigningKey)
        .where(
            SigningKey.family == family,
            SigningKey.status == KeyStatus.active,
            SigningKey.issue_from <= now,
            (SigningKey.issue_until.is_(None)) | (SigningKey.issue_until > now),
        )
        .order_by(SigningKey.issue_from.desc(), SigningKey.id.desc())
        .limit(1)
    )


@functools.lru_cache(maxsize=64)
def _load_private(token: bytes, keys: Keyring) -> ec.EllipticCurvePrivateKey:
    loaded = serialization.load_pem_private_key(keys.decrypt(token).encode("ascii"), None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise TypeError("a signing key is a P-256 key")
    return loaded


def private_key(key: SigningKey, *, keys: Keyring) -> ec.EllipticCurvePrivateKey:
    """The key object to sign with, decrypted with the environment's key (cached per process)."""
    if key.private_key_encrypted is None:
        raise SigningKeyMissing()
    return _load_private(key.private_key_encrypted, keys)


def public_key(key: SigningKey) -> ec.EllipticCurvePublicKey:
    return public_key_from_jwk(key.public_jwk)


def verifiable(
    session: Session, families: Sequence[KeyFamily], *, now: dt.datetime
) -> list[SigningKey]:
    """The keys of ``families`` that validators still need: not past ``verify_until``."""
    return list(session.scalars(_verifiable(), {"families": list(families), "now": now}))


@functools.cache
def _verifiable() -> Select[SigningKey]:
    """verifiable's query, built once: every scan reads the keys."""
    now = bindparam("now", type_=SigningKey.verify_until.type)
    return (
        select(SigningKey)
        .where(
            SigningKey.family.in_(bindparam("families", expanding=True)),
            (SigningKey.verify_until.is_(None)) | (SigningKey.verify_until > now),
        )
        .order_by(SigningKey.family, SigningKey.issue_from, SigningKey.id)
    )


class KeyFields(Protocol):
    """What a published key entry is made of: a SigningKey, or a row of its columns."""

    @property
    def kid(self) -> str: ...
    @property
    def alg(self) -> str: ...
    @property
    def family(self) -> KeyFamily: ...
    @property
    def status(self) -> KeyStatus: ...
    @property
    def public_jwk(self) -> dict[str, Any]: ...
    @property
    def issue_from(self) -> dt.datetime: ...
    @property
    def issue_until(self) -> dt.datetime | None: ...
    @property
    def verify_until(self) -> dt.datetime | None: ...


def jwk_entry(key: KeyFields) -> dict[str, Any]:
    """A key as ``GET /keys`` and the validator bundle publish it: the public half only."""
    return {
        **key.public_jwk,
        "kid": key.kid,
        "alg": key.alg,
        "use": "enc" if key.family == KeyFamily.bus else "sig",
        "family": key.family.value,
        "status": key.status.value,
        "issue_from": _unix(key.issue_from),
        "issue_until": _unix(key.issue_until),
        "verify_until": _unix(key.verify_until),
    }


def jwks(session: Session, families: Sequence[KeyFamily], *, now: dt.datetime) -> dict[str, Any]:
    return {"keys": [jwk_entry(key) for key in verifiable(session, families, now=now)]}


def registry(session: Session, families: Sequence[KeyFamily], *, now: dt.datetime) -> KeyRegistry:
    """The service's own key registry, from the database, as a validator's bundle would give it.

    The rows are read every time (a revoked key stops at once), as plain columns without the
    private half; the registry made of them is remembered by their whole content (status
    included), so a scan parses nothing while the keys stay as they are.
    """
    rows = session.connection().execute(_registry_rows(tuple(families)), {"now": now})
    return _registry_of(tuple(json.dumps(jwk_entry(row), sort_keys=True) for row in rows))


@functools.cache
def _registry_rows(families: tuple[KeyFamily, ...]) -> Select[Any]:
    """registry's query on the table, built once per set of families (every scan reads the
    keys): one ``=`` per family rather than an expanding IN, which is rendered anew each time."""
    c = cast(Table, SigningKey.__table__).c
    now = bindparam("now", type_=c.verify_until.type)
    return (
        select(c.kid, c.alg, c.family, c.status, c.public_jwk)
        .add_columns(c.issue_from, c.issue_until, c.verify_until)
        .where(
            or_(*(c.family == family for family in families)),
            c.verify_until.is_(None) | (c.verify_until > now),
        )
        .order_by(c.family, c.issue_from, c.id)
    )


@functools.lru_cache(maxsize=64)
def _registry_of(entries: tuple[str, ...]) -> KeyRegistry:
    """A registry is immutable, so one made of the same entries may be handed out again."""
    return KeyRegistry(KeyRecord.from_jwk(json.loads(entry)) for entry in entries)


def all_keys(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.family, SigningKey.id)))


def rewrap(session: Session, *, keys: Keyring, actor: Actor) -> int:
    """Encrypt every private key again with the newest environment key (``keys rehash``), so
    the old environment key can be removed."""
    changed = []
    for key in session.scalars(select(SigningKey).order_by(SigningKey.id)):
        token = key.private_key_encrypted
        if token is not None and not keys.is_current(token):
            key.private_key_encrypted = keys.encrypt(keys.decrypt(token))
            changed.append(key.kid)
    session.flush()
    if changed:
        audit.record(session, actor=actor, action="key.rewrap", changes={"kids": changed})
    return len(changed)
