"""Issue the codes a pass is shown with, and revoke them.

- ``issue_phone_credential``: a credential for a few days that binds the holder's device key;
  the holder's page signs the current 30-second step with that key (validator.formats).
- ``issue_card_credential``: the static code printed on a card.
- ``revoke_pass_credentials``: every credential of a pass that has not expired goes on the
  revocation list (block, replace), so it stops working online at once and offline at the
  validator's next bundle.

Every holder gets the same validity and a code of the same size: nothing in a code depends on
the holder's entitlements but the encrypted bus claim, which is the same 6 bytes for everyone.
Issuing writes no audit row: a holder's page asks for a fresh credential every day; the staff
actions around passes (issue, block, replace, print) are audited where they happen.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.api_jws import PyJWS
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from almerepas.core import clock, gemeente
from almerepas.core.crypto import Keyring
from almerepas.grants.models import Grant
from almerepas.passes import keys as signing
from almerepas.passes.credential_errors import (
    DeviceKeyInvalid,
    PassBlocked,
    PassExpired,
    PassReplaced,
)
from almerepas.passes.credential_models import Credential, CredentialKind, KeyFamily, SigningKey
from almerepas.passes.models import Pass, PassStatus
from almerepas.schemes.models import Scheme
from almerepas.validator import busclaim, formats
from almerepas.validator.encoding import b64url, compact_json
from almerepas.validator.registry import public_key_from_jwk

#: A holder's page fetches a new credential once this much of its life has passed.
REFRESH_AFTER = dt.timedelta(hours=24)
_JWS = PyJWS()


@dataclass(frozen=True)
class IssuedCredential:
    token: str
    expires_at: dt.datetime
    refresh_after: dt.datetime


def _check_pass(pass_: Pass, *, now: dt.datetime) -> None:
    if pass_.status == PassStatus.blocked:
        raise PassBlocked()
    if pass_.status == PassStatus.replaced:
        raise PassReplaced()
    if pass_.status == PassStatus.expired or pass_.valid_until < now.astimezone(clock.LOCAL).date():
        raise PassExpired()


#: What WebCrypto's exportKey("jwk") gives for a public ECDSA key; "d" (private) never.
DEVICE_JWK_MEMBERS = frozenset({"kty", "crv", "x", "y", "ext", "key_ops"})


def _device_point(device_key: dict[str, str]) -> bytes:
    """The device key as a compressed point; refused unless it is a public P-256 JWK."""
    if not isinstance(device_key, dict) or set(device_key) - DEVICE_JWK_MEMBERS:
        raise DeviceKeyInvalid()
    try:
        public = public_key_from_jwk(device_key)
    except (ValueError, TypeError) as exc:
        raise DeviceKeyInvalid() from exc
    return public.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)


def _sign(claims: dict[str, object], key_row: SigningKey, *, keys: Keyring) -> str:
    return _JWS.encode(
        compact_json(claims),
        signing.private_key(key_row, keys=keys),
        algorithm=key_row.alg,
        headers={"kid": key_row.kid, "typ": None},
    )


def _months(*moments: dt.datetime) -> list[str]:
    return [f"{m.astimezone(clock.LOCAL):%Y-%m}" for m in moments]


def _free_bus_months(session: Session, pass_: Pass, months: list[str]) -> set[str]:
    """The months (of ``months``) for which the pass holder has the free-bus grant."""
    return set(
        session.scalars(
            select(Grant.period)
            .join(Scheme, Grant.scheme_id == Scheme.id)
            .where(
                Scheme.code == gemeente.current().bus_scheme,
                Grant.person_id == pass_.person_id,
                Grant.period.in_(months),
                Grant.expired_at.is_(None),
            )
        )
    )


def _record(
    session: Session,
    pass_: Pass,
    *,
    kind: CredentialKind,
    pseudonym: str,
    kid: str,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> None:
    session.add(
        Credential(
            pseudonym=pseudonym,
            revocation_hash=formats.revocation_hash(pseudonym, pass_.generation),
            pass_id=pass_.id,
            generation=pass_.generation,
            kind=kind,
            kid=kid,
            issued_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()


def issue_phone_credential(
    session: Session,
    pass_: Pass,
    device_key: dict[str, str],
    *,
    keys: Keyring,
    now: dt.datetime,
) -> IssuedCredential:
    """A phone credential for ``pass_`` bound to the holder's device key (a public P-256 JWK),
    valid for 72 hours from ``now``, for every holder alike."""
    _check_pass(pass_, now=now)
    point = _device_point(device_key)
    key_row = signing.signing_key(session, KeyFamily.phone, now=now)
    not_before = int(now.timestamp())
    expires = not_before + int(signing.PHONE_VALIDITY.total_seconds())
    expires_at = dt.datetime.fromtimestamp(expires, dt.UTC)
    pseudonym_bytes = secrets.token_bytes(formats.PSEUDONYM_BYTES)
    pseudonym = b64url(pseudonym_bytes)
    first, last = _months(now, expires_at)
    free = _free_bus_months(session, pass_, [first, last])
    bus_row = signing.current_key(session, KeyFamily.bus, now=now)
    operator_row = signing.current_key(session, KeyFamily.operator, now=now)
    claim = busclaim.seal(
        free_in_first_month=first in free,
        free_in_last_month=last in free,
        pseudonym=pseudonym_bytes,
        service_key=None if bus_row is None else signing.private_key(bus_row, keys=keys),
        operator_key=None if operator_row is None else signing.public_key(operator_row),
    )
    claims: dict[str, object] = {
        "v": formats.VERSION,
        "t": formats.PHONE,
        "p": pseudonym,
        "g": pass_.generation,
        "k": b64url(point),
        "n": not_before,
        "e": expires,
        "b": b64url(claim),
    }
    token = _sign(claims, key_row, keys=keys)
    _record(
        session,
        pass_,
        kind=CredentialKind.phone,
        pseudonym=pseudonym,
        kid=key_row.kid,
        now=now,
        expires_at=expires_at,
    )
    return IssuedCredential(
        token=token,
        expires_at=expires_at,
        refresh_after=dt.datetime.fromtimestamp(not_before, dt.UTC) + REFRESH_AFTER,
    )


def card_expiry(pass_: Pass, *, now: dt.datetime) -> dt.datetime:
    """The end of the pass's last valid day (local time), at most CARD_MAX_VALIDITY from now."""
    day_end = clock.local_moment(pass_.valid_until + dt.timedelta(days=1)) - dt.timedelta(seconds=1)
    return min(day_end.astimezone(dt.UTC), now + signing.CARD_MAX_VALIDITY)


def issue_card_credential(session: Session, pass_: Pass, *, keys: Keyring, now: dt.datetime) -> str:
    """The static code for a printed card of ``pass_``: a card key's ES256 JWS, valid until the
    end of the pass's last day."""
    _check_pass(pass_, now=now)
    key_row = signing.signing_key(session, KeyFamily.card, now=now)
    expires_at = card_expiry(pass_, now=now).replace(microsecond=0)
    pseudonym = b64url(secrets.token_bytes(formats.PSEUDONYM_BYTES))
    claims: dict[str, object] = {
        "v": formats.VERSION,
        "t": formats.CARD,
        "p": pseudonym,
        "g": pass_.generation,
        "n": int(now.timestamp()),
        "e": int(expires_at.timestamp()),
    }
    token = _sign(claims, key_row, keys=keys)
    _record(
        session,
        pass_,
        kind=CredentialKind.card,
        pseudonym=pseudonym,
        kid=key_row.kid,
        now=now,
        expires_at=expires_at,
    )
    return token


def revoke_pass_credentials(session: Session, pass_: Pass, *, now: dt.datetime) -> int:
    """Put every credential of ``pass_`` that has not expired on the revocation list; the
    number revoked. The caller (block, replace) writes the audit row."""
    result = session.execute(
        update(Credential)
        .where(
            Credential.pass_id == pass_.id,
            Credential.revoked_at.is_(None),
            Credential.expires_at > now,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
