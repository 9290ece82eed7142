"""Who is asking, and may they: current_staff() and @require_role for API views and pages.

The API reads only the ``Authorization: Bearer`` header, never the cookie, so a browser cannot
be tricked into calling the API with a page session (no CSRF on the API). Pages read only the
session cookie, which holds a server-side token that logging out revokes.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import unquote_plus

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from almerepas.audit.log import Actor
from almerepas.core.elfproef import contains_bsn
from almerepas.core.session import get_keys, get_session, in_own_transaction
from almerepas.http.errors import Forbidden
from almerepas.http.problems import request_id
from almerepas.staff.accounts import authenticate
from almerepas.staff.errors import LocalLoginDisabled, NotAuthenticated
from almerepas.staff.models import StaffUser
from almerepas.staff.permissions import PERMISSIONS
from almerepas.staff.tokens import user_for_token

#: The key in the (signed) Flask session cookie that holds the page session's token.
SESSION_TOKEN_KEY = "staff_token"  # noqa: S105 - a dict key, not a secret
#: Name of the security scheme in the OpenAPI document.
SECURITY_SCHEME = "bearerAuth"

F = TypeVar("F", bound=Callable[..., Any])


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def request_token() -> str | None:
    """The token this request carries: the bearer header on the API, the session on pages."""
    if is_api_request():
        return bearer_token()
    token = session.get(SESSION_TOKEN_KEY)
    return token if isinstance(token, str) else None


def current_staff() -> StaffUser | None:
    """The logged-in staff member of this request, or None; looked up once per request."""
    if "staff" not in g:
        token = request_token()
        g.staff = user_for_token(get_session(), token) if token else None
    user: StaffUser | None = g.staff
    return user


def current_actor() -> Actor:
    """Who is acting in this request, for the audit log: the staff member, or anonymous."""
    user = current_staff()
    if user is None:
        return Actor("anonymous", request_id=request_id())
    return Actor(f"staff:{user.username}", user.role.value, request_id())


def require_role(permission: str) -> Callable[[F], F]:
    """Let a view run only for staff whose role has ``permission`` (see PERMISSIONS).

    Not logged in: a 401 problem on the API, a redirect to the login page for pages. Logged in
    with the wrong role: 403. Put it directly under ``@blp.route`` so it runs before the
    arguments are parsed; it also documents 401, 403 and the bearer scheme in OpenAPI.
    """
    PERMISSIONS[permission]  # KeyError at import time for a misspelt permission

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refusal = enforce(permission)
            return refusal if refusal is not None else view(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        document_auth(wrapper)
        return cast(F, wrapper)

    return decorator


def enforce(permission: str) -> BaseResponse | None:
    """None when this request's staff member has ``permission``; otherwise what @require_role
    answers: 401 (raised) on the API, a redirect to the login page for pages; 403 (raised)."""
    user = current_staff()
    if user is None:
        if is_api_request():
            raise NotAuthenticated()
        return redirect(url_for("staff.login", next=_here()), 303)
    if user.role not in PERMISSIONS[permission]:
        raise Forbidden()
    return None


def _here() -> str:
    """This page's path with its query, to come back to after logging in; without the query
    when it holds a BSN (a search that will be refused), which must not travel on in a URL."""
    if contains_bsn(unquote_plus(request.query_string.decode("latin-1"))):
        return request.path
    return request.full_path.rstrip("?")


def document_auth(wrapper: Any, *, forbidden: bool = True) -> None:
    """Add 401, 403 and the security requirement to the flask-smorest doc of an API view."""
    doc = copy.deepcopy(getattr(wrapper, "_apidoc", {}))
    responses = doc.setdefault("response", {}).setdefault("responses", {})
    responses.setdefault(401, []).append("UNAUTHORIZED")
    if forbidden:
        responses.setdefault(403, []).append("FORBIDDEN")
    doc.setdefault("manual_doc", {})["security"] = [{SECURITY_SCHEME: []}]
    wrapper._apidoc = doc


def endpoint_permissions(app: Flask) -> dict[str, str]:
    """Endpoint name -> the permission its view requires, for every guarded view of ``app``."""
    found = {
        endpoint: getattr(view, "permission", None) for endpoint, view in app.view_functions.items()
    }
    return {endpoint: name for endpoint, name in found.items() if isinstance(name, str)}


def safe_next(target: str | None) -> str | None:
    """A path on this site to return to after logging in; anything else (//evil, https:) is None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 for c in target):
        return None
    return target


def add_www_authenticate(response: Response) -> Response:
    """RFC 9110: a 401 names the scheme to use; ours is a bearer token."""
    if response.status_code == 401 and is_api_request():
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="almerepas"')
    return response


def attempt_login(username: str, password: str, totp_code: str) -> int:
    """Check a login in a transaction of its own; return the staff member's id or raise.

    A refused login is a change of state (the failure count, the lock, the audit event) that
    must be kept although the request answers 401, so it commits on its own, before the
    request's session holds any lock. The caller issues the token in the request's session.
    Who tries is anonymous until the login succeeds, also in a browser or with a token of an
    earlier login: looking that up would read through the request's session, and on SQLite that
    read holds the write lock this transaction waits for.
    """
    if not current_app.config["LOCAL_STAFF_LOGIN"]:
        raise LocalLoginDisabled()
    origin = Actor("anonymous", request_id=request_id())
    return in_own_transaction(
        lambda session: (
            authenticate(
                session,
                username=username,
                password=password,
                totp_code=totp_code,
                keys=get_keys(),
                origin=origin,
            ).id
        ),
        keep_on=(NotAuthenticated,),
    )
