"""The validator bundle: the keys and revocations a validator needs offline, signed and numbered.

Signed with the newest ``bundle`` key (its public key is pinned on each validator as the trust
root), numbered with ``seq`` (milliseconds of the moment it was made, so a later bundle always
has a higher number and an old copy cannot roll a validator back). The revocations are hashes of
``p|g`` with the credential's expiry: nothing personal. A delta since a cursor repeats the last
``OVERLAP`` of revocations, so one committed while the previous bundle was made is not missed;
applying one twice changes nothing. See almerepas.validator.bundle for how a validator applies it.
"""

from __future__ import annotations

import datetime as dt

from jwt.api_jws import PyJWS
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core.crypto import Keyring
from almerepas.passes import keys as signing
from almerepas.passes.credential_models import Credential, KeyFamily
from almerepas.validator import formats
from almerepas.validator.bundle import BUNDLE_ALGORITHM, BUNDLE_VERSION
from almerepas.validator.encoding import compact_json

OVERLAP = dt.timedelta(minutes=5)
#: Raise to refuse every credential of an older format version at once.
MIN_VERSION = formats.VERSION
BUNDLE_FAMILIES = (KeyFamily.phone, KeyFamily.card, KeyFamily.bus)


def build_bundle(session: Session, *, since: int | None, now: dt.datetime, keys: Keyring) -> str:
    """The bundle as a compact JWS: everything when ``since`` is None, else the revocations
    since that cursor (Unix seconds, the ``cursor`` of the validator's last bundle)."""
    bundle_key = signing.signing_key(session, KeyFamily.bundle, now=now)
    generated_at = int(now.timestamp())
    query = (
        select(Credential.revocation_hash, Credential.expires_at)
        .where(
            Credential.revoked_at.is_not(None),
            Credential.expires_at > now - dt.timedelta(seconds=formats.LEEWAY),
        )
        .order_by(Credential.id)
    )
    if since is not None:
        start = dt.datetime.fromtimestamp(since, dt.UTC) - OVERLAP
        query = query.where(Credential.revoked_at >= start)
    payload = {
        "v": BUNDLE_VERSION,
        "seq": int(now.timestamp() * 1000),
        "generated_at": generated_at,
        "cursor": generated_at,
        "since": since,
        "min_version": MIN_VERSION,
        "keys": signing.jwks(session, BUNDLE_FAMILIES, now=now),
        "revocations": [
            [revocation_hash, int(expires_at.timestamp())]
            for revocation_hash, expires_at in session.execute(query)
        ],
    }
    return PyJWS().encode(
        compact_json(payload),
        signing.private_key(bundle_key, keys=keys),
        algorithm=BUNDLE_ALGORITHM,
        headers={"kid": bundle_key.kid, "typ": None},
    )


def trust_root(session: Session, *, now: dt.datetime) -> dict[str, object]:
    """The public JWK of the key that signs bundles now: what a validator pins when it is set
    up (``almerepas keys list --trust-root``)."""
    return signing.jwk_entry(signing.signing_key(session, KeyFamily.bundle, now=now))
