"""verify_code: the one place the service checks a code, phone or card, online.

It runs the offline kit's ``verify`` (almerepas.validator) with the service's own data: the key
registry from ``signing_key``, revocations from ``credential``, and a replay guard that inserts
``(pseudonym, step)`` into ``used_code`` and lets the unique constraint decide (two desks that
scan the same code at the same moment: one wins, the other gets ``credential_replayed``, also on
PostgreSQL under concurrency; ``INSERT ... ON CONFLICT DO NOTHING``, so no savepoint). Then
the pass itself: blocked, replaced (or an older generation) and expired passes are refused with
their own codes, which online take precedence over ``credential_revoked`` because they tell the
desk more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.core.inserted import columns_of, loaded
from almerepas.passes import keys as signing
from almerepas.passes.credential_errors import (
    BY_CODE,
    CredentialRevoked,
    PassBlocked,
    PassExpired,
    PassReplaced,
)
from almerepas.passes.credential_models import Credential, KeyFamily, UsedCode
from almerepas.passes.models import Pass, PassStatus
from almerepas.validator import Context, Refusal
from almerepas.validator import refusals as codes
from almerepas.validator import verify as kit

#: Online, every kind of code is accepted.
ONLINE = Context(kinds=frozenset({"phone", "card"}))
SIGNING_FAMILIES = (KeyFamily.phone, KeyFamily.card)


@dataclass(frozen=True)
class Verified:
    pass_id: int
    #: "phone" or "card"
    kind: str
    generation: int
    pseudonym: str
    pass_number: str
    #: the pass itself, as loaded with its credential (no second read)
    pass_: Pass


class _UsedCodes:
    """The replay guard on ``used_code``: the first insert of ``(pseudonym, step)`` wins."""

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.session = session
        self.now = now

    def first_use(self, pseudonym: str, step: int) -> bool:
        connection = self.session.connection()
        row = {"pseudonym": pseudonym, "step": step, "used_at": self.now}
        return connection.scalar(_FIRST_USE[connection.dialect.name], row) is not None


_used = cast(Table, UsedCode.__table__)
#: ``ON CONFLICT DO NOTHING``: a code used before inserts nothing (no savepoint, no error);
#: PostgreSQL makes a racing second insert wait for the first and then insert nothing
_FIRST_USE = {
    "postgresql": pg_insert(_used)
    .on_conflict_do_nothing(index_elements=["pseudonym", "step"])
    .returning(_used.c.id),
    "sqlite": sqlite_insert(_used)
    .on_conflict_do_nothing(index_elements=["pseudonym", "step"])
    .returning(_used.c.id),
}


class _Revoked:
    """Revocation hashes on the service: a credential with ``revoked_at`` set. The lookup reads
    the whole credential with its pass, kept in ``row``: the code's own credential (the hash is
    of its pseudonym and generation), so the read after the checks needs no second statement."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.row: Row[Any] | None = None

    def __contains__(self, revocation_hash: object) -> bool:
        if not isinstance(revocation_hash, str):
            return False
        self.row = (
            self.session.connection()
            .execute(_BY_REVOCATION_HASH, {"revocation_hash": revocation_hash})
            .first()
        )
        return self.row is not None and self.row.c_revoked_at is not None


_credentials = cast(Table, Credential.__table__)
_passes = cast(Table, Pass.__table__)
_CREDENTIAL_WITH_PASS = select(
    *columns_of(_credentials, Credential, "c_"), *columns_of(_passes, Pass, "p_")
).join_from(_credentials, _passes, _passes.c.id == _credentials.c.pass_id)
#: on the table, not the entity: a plain statement without the ORM's work per execution
_BY_REVOCATION_HASH = _CREDENTIAL_WITH_PASS.where(
    _credentials.c.revocation_hash == bindparam("revocation_hash")
)
_BY_PSEUDONYM = _CREDENTIAL_WITH_PASS.where(_credentials.c.pseudonym == bindparam("pseudonym"))


def _credential(
    session: Session, pseudonym: str, read: Row[Any] | None = None
) -> Credential | None:
    """The credential of a pseudonym with its pass: the row ``read`` already if it is that
    pseudonym's, else one Core statement; the row made objects."""
    row = read if read is not None and read.c_pseudonym == pseudonym else None
    if row is None:
        row = session.connection().execute(_BY_PSEUDONYM, {"pseudonym": pseudonym}).first()
    if row is None:
        return None
    credential = loaded(session, Credential, row._mapping, "c_")
    set_committed_value(credential, "pass_", loaded(session, Pass, row._mapping, "p_"))
    return credential


def _check_pass(credential: Credential, *, now: dt.datetime) -> None:
    pass_ = credential.pass_
    if pass_.status != PassStatus.blocked and credential.generation != pass_.generation:
        raise PassReplaced()
    check_pass(pass_, now=now)


def check_pass(pass_: Pass, *, now: dt.datetime) -> None:
    """Refuse a pass that is blocked, replaced or expired (also for a typed pass number)."""
    if pass_.status == PassStatus.blocked:
        raise PassBlocked()
    if pass_.status == PassStatus.replaced:
        raise PassReplaced()
    if pass_.status == PassStatus.expired or pass_.valid_until < now.astimezone(clock.LOCAL).date():
        raise PassExpired()


def verify_code(session: Session, code: str, *, now: dt.datetime, keys: Keyring) -> Verified:
    """The pass a code belongs to, or a ``CredentialRefused`` with the code's refusal.

    ``keys`` is not needed to verify (public keys only); it is part of the signature so that a
    later check that decrypts something (a partner's device key) changes no caller.
    """
    del keys
    session.flush()  # Core reads below: what the caller changed counts, as with the ORM's
    revoked = _Revoked(session)
    try:
        result = kit(
            code,
            registry=signing.registry(session, SIGNING_FAMILIES, now=now),
            now=now,
            replay=_UsedCodes(session, now),
            revocations=revoked,
            context=ONLINE,
        )
    except Refusal as refusal:
        if refusal.code == codes.REVOKED and refusal.pseudonym is not None:
            withdrawn = _credential(session, refusal.pseudonym, revoked.row)
            if withdrawn is not None:
                _check_pass(withdrawn, now=now)
        raise BY_CODE[refusal.code]() from None
    credential = _credential(session, result.pseudonym, revoked.row)
    if credential is None:  # signed by us but never recorded: treat as withdrawn
        raise CredentialRevoked()
    _check_pass(credential, now=now)
    return Verified(
        pass_id=credential.pass_id,
        kind=result.kind,
        generation=result.generation,
        pseudonym=result.pseudonym,
        pass_number=credential.pass_.number,
        pass_=credential.pass_,
    )
