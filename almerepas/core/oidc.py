"""Checking an OpenID Connect ID token: signature from the provider's JWKS, issuer, audience,
nonce and expiry, against the time the caller passes (almerepas.core.clock in the app).

The exchange of the code for the token (Authlib's Flask client) is in almerepas/http/sso.py;
this module only judges the token, so each refusal has a code of its own (docs/errors.md,
"Single sign-on") and the audit log says why a login was refused (docs/login.md).
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_

#: Signature algorithms we accept; never "none", never a symmetric one (a client secret).
ALGORITHMS = ("RS256", "PS256", "ES256")
#: Clock difference with the provider that we tolerate on exp.
LEEWAY = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class OidcClient:
    """One configured relying party: the provider's issuer URL and our registration there."""

    issuer: str
    client_id: str
    client_secret: str
    scope: str
    #: accepted ``acr`` values, asked for as ``acr_values``; empty: the provider decides
    acr_values: tuple[str, ...] = ()

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


class SsoRefused(DomainError):
    """The login through the identity provider did not succeed; the page says to try again."""

    code = "sso_failed"
    status = 401
    title = N_("Inloggen is niet gelukt. Probeer het opnieuw.")


class SsoStateInvalid(SsoRefused):
    """The answer does not belong to a login this browser started (CSRF on the callback)."""

    code = "sso_state_invalid"
    title = N_("Dit inloggen is niet hier begonnen of duurde te lang. Probeer het opnieuw.")


class SsoUnavailable(DomainError):
    code = "sso_unavailable"
    status = 503
    title = N_("Inloggen via de gemeente is nu niet bereikbaar. Probeer het later opnieuw.")


class SsoNotConfigured(DomainError):
    code = "sso_not_configured"
    status = 404
    title = N_("Deze manier van inloggen is hier niet ingesteld.")


class SsoWrongIssuer(SsoRefused):
    code = "sso_wrong_issuer"


class SsoWrongAudience(SsoRefused):
    code = "sso_wrong_audience"


class SsoWrongNonce(SsoRefused):
    code = "sso_wrong_nonce"


class SsoTokenExpired(SsoRefused):
    code = "sso_token_expired"


class SsoUnknownKey(SsoRefused):
    code = "sso_unknown_key"


class SsoBadSignature(SsoRefused):
    code = "sso_bad_signature"


class SsoClaimsMissing(SsoRefused):
    code = "sso_claims_missing"


class SsoAcrTooLow(SsoRefused):
    """The provider did not log the person in as strongly as configured (no MFA, or DigiD
    below the level asked for): its ``acr`` is not one of the accepted values."""

    code = "sso_acr_too_low"
    title = N_(
        "U bent niet sterk genoeg ingelogd. Log opnieuw in met een tweede stap, zoals de app."
    )


def validate_id_token(
    id_token: str,
    *,
    jwks: Mapping[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
    now: dt.datetime,
    acr_values: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The token's claims once signature, iss, aud (and azp), nonce, exp and (when configured)
    acr hold; else a refusal.

    ``now`` is the app's clock, not the machine's: the provider signs with real time, and the
    app's clock is the one every other expiry in the service is judged by.
    """
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
        claims: dict[str, Any] = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS)).claims
    except InvalidKeyIdError as exc:
        raise SsoUnknownKey() from exc
    except BadSignatureError as exc:
        raise SsoBadSignature() from exc
    except (JoseError, ValueError, TypeError) as exc:
        raise SsoRefused() from exc
    if claims.get("iss") != issuer:
        raise SsoWrongIssuer()
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise SsoWrongAudience()
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SsoWrongAudience()
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(
        token_nonce.encode(), nonce.encode()
    ):
        raise SsoWrongNonce()
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        raise SsoClaimsMissing()
    if dt.datetime.fromtimestamp(expires, dt.UTC) + LEEWAY <= now:
        raise SsoTokenExpired()
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SsoClaimsMissing()
    if acr_values and claims.get("acr") not in acr_values:
        raise SsoAcrTooLow()
    return claims
