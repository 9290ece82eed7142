"""Single sign-on with OpenID Connect through Authlib's Flask client (docs/login.md).

Two relying parties, each switched on by its issuer in the configuration: ``staff`` (the
gemeente's identity provider) and ``resident`` (a DigiD broker). Authlib reads the provider's
discovery document, makes the authorization request (code flow, PKCE S256, state and nonce kept
in the signed session cookie) and exchanges the code; the ID token is then judged by
almerepas.core.oidc against the app's clock, with the provider's JWKS fetched once more when
the token names a key we have not seen (the provider rotated its keys).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
from authlib.integrations.flask_client import OAuth  # type: ignore[import-untyped]
from flask import Flask, current_app, request, session
from werkzeug.wrappers import Response as BaseResponse

from almerepas.config import ConfigError
from almerepas.core import clock
from almerepas.core.oidc import (
    OidcClient,
    SsoNotConfigured,
    SsoRefused,
    SsoStateInvalid,
    SsoUnavailable,
    SsoUnknownKey,
    validate_id_token,
)
from almerepas.staff.models import Role
from almerepas.staff.sso import parse_role_map

KINDS = ("staff", "resident")
#: Seconds to wait for the provider (discovery, token, JWKS) before the page says try later.
TIMEOUT = 10
#: A login started longer ago than this is not finished: the person starts again. (Authlib
#: stores an expiry with its state but does not check it, and reads the machine's clock.)
LOGIN_LIFETIME = dt.timedelta(minutes=10)


def _started_key(kind: str) -> str:
    return f"_sso_started_{kind}"


def client_config(app: Flask, kind: str) -> OidcClient | None:
    """The configured relying party ``kind``, or None when its issuer is not set."""
    prefix = f"{kind.upper()}_OIDC_"
    issuer = app.config.get(prefix + "ISSUER")
    if not issuer:
        return None
    return OidcClient(
        issuer=issuer,
        client_id=app.config[prefix + "CLIENT_ID"],
        client_secret=app.config[prefix + "CLIENT_SECRET"],
        scope=app.config[prefix + "SCOPE"],
        acr_values=tuple(app.config[prefix + "ACR_VALUES"]),
    )


def init_app(app: Flask) -> None:
    """Register a client for each configured provider; a broken role map stops the start."""
    oauth = OAuth(app)
    try:
        app.extensions["almerepas.role_map"] = parse_role_map(app.config["STAFF_OIDC_ROLE_MAP"])
    except ValueError as exc:
        raise ConfigError(
            "ALMEREPAS_STAFF_OIDC_ROLE_MAP must be group=role pairs separated by commas, with "
            f"roles from {', '.join(r.value for r in Role)}: {exc}"
        ) from exc
    for kind in KINDS:
        settings = client_config(app, kind)
        if settings is None:
            continue
        if not settings.client_id or not settings.client_secret:
            raise ConfigError(
                f"ALMEREPAS_{kind.upper()}_OIDC_CLIENT_ID and _CLIENT_SECRET are required with "
                f"ALMEREPAS_{kind.upper()}_OIDC_ISSUER"
            )
        oauth.register(
            kind,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            server_metadata_url=settings.metadata_url,
            client_kwargs={
                "scope": settings.scope,
                "code_challenge_method": "S256",
                "timeout": TIMEOUT,
            },
        )
    app.extensions["almerepas.sso"] = oauth


def enabled(kind: str) -> bool:
    return client_config(current_app, kind) is not None


def _client(kind: str) -> Any:
    if not enabled(kind):
        raise SsoNotConfigured()
    return current_app.extensions["almerepas.sso"].create_client(kind)


def start(kind: str, redirect_uri: str) -> BaseResponse:
    """The redirect to the provider; state, nonce and the PKCE verifier go into the session."""
    client = _client(kind)
    settings = client_config(current_app, kind)
    assert settings is not None  # noqa: S101 - _client checked it
    extra = {"acr_values": " ".join(settings.acr_values)} if settings.acr_values else {}
    # Only the newest login of this kind may come back: older ones would fill the cookie.
    for key in [k for k in session if k.startswith(f"_state_{kind}_")]:
        session.pop(key)
    try:
        response: BaseResponse = client.authorize_redirect(redirect_uri, **extra)
    except (requests.RequestException, OAuthError, ValueError) as exc:
        raise SsoUnavailable() from exc
    session[_started_key(kind)] = clock.now().isoformat()
    return response


def _fresh(started: object) -> bool:
    """Whether a login started at ``started`` (ISO time, from the session) may still finish."""
    if not isinstance(started, str):
        return False
    try:
        age = clock.now() - dt.datetime.fromisoformat(started)
    except ValueError:
        return False
    return dt.timedelta(0) <= age <= LOGIN_LIFETIME


def finish(kind: str) -> dict[str, Any]:
    """The checked claims of the provider's answer on the callback; a refusal otherwise.

    Talks to the provider before the request's database session is used, so no lock is held
    while it waits.
    """
    client = _client(kind)
    settings = client_config(current_app, kind)
    assert settings is not None  # noqa: S101 - _client checked it
    state = request.args.get("state", "")
    data = client.framework.get_state_data(session, state) if state else None
    if state:
        client.framework.clear_state_data(session, state)
    started = session.pop(_started_key(kind), None)
    if request.args.get("error"):
        raise SsoRefused()  # the person cancelled, or the provider refused them
    code = request.args.get("code")
    if not data or not code or not data.get("nonce") or not _fresh(started):
        raise SsoStateInvalid()
    try:
        token = client.fetch_access_token(
            redirect_uri=data["redirect_uri"], code=code, code_verifier=data.get("code_verifier")
        )
    except OAuthError as exc:
        raise SsoRefused() from exc
    except (requests.RequestException, ValueError) as exc:
        raise SsoUnavailable() from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SsoRefused()
    return _judge(client, settings, id_token, nonce=data["nonce"])


def _judge(client: Any, settings: OidcClient, id_token: str, *, nonce: str) -> dict[str, Any]:
    """validate_id_token with the provider's keys; fetch them again once for an unknown key."""
    for force in (False, True):
        try:
            jwks = client.fetch_jwk_set(force=force)
        except (requests.RequestException, ValueError) as exc:
            raise SsoUnavailable() from exc
        try:
            return validate_id_token(
                id_token,
                jwks=jwks,
                issuer=settings.issuer,
                client_id=settings.client_id,
                nonce=nonce,
                now=clock.now(),
                acr_values=settings.acr_values,
            )
        except SsoUnknownKey:
            if force:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
