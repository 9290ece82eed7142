"""Who is asking on the partner side: a device (its key) or a partner user (a token).

A device is bound to one location: everything it does happens there. A partner user works for
the whole partner and names the location per request (``location_id``), which must be one of
its own. The API reads only the ``Authorization: Bearer`` header, as the staff API does: a
device key (``almdev_...``) or a partner user's token (``almpu_...``).

The portal's pages read only the signed session cookie (``current_page_principal``): it holds
a partner user's token (``partner_token``) and/or the token of a browser paired with a device
(``partner_device_session``), never a device key. Logging out or unpairing revokes the token on
the server, so a copied cookie stops working too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import g, redirect, request, session, url_for

from almerepas.audit.log import Actor
from almerepas.contracts import logins
from almerepas.contracts.devices import KEY_PREFIX, authenticate_device
from almerepas.contracts.models import Device, Location, Partner, PartnerRole, PartnerUser
from almerepas.core import clock
from almerepas.core.session import get_keys, get_session, in_own_transaction
from almerepas.http.errors import Forbidden
from almerepas.http.guard import bearer_token, document_auth
from almerepas.http.problems import request_id
from almerepas.partners.errors import LocationRequired, PartnerNotAuthenticated
from almerepas.redemptions.errors import LocationNotAllowed
from almerepas.staff.errors import NotAuthenticated

F = TypeVar("F", bound=Callable[..., Any])

#: Keys in the signed session cookie: a partner user's token, a paired browser's token.
PAGE_USER_TOKEN_KEY = "partner_token"  # noqa: S105 - a dict key, not a secret
PAGE_DEVICE_SESSION_KEY = "partner_device_session"
#: The portal's login page (almerepas.partners.login_pages).
LOGIN_ENDPOINT = "partner_login.login"


@dataclass(frozen=True)
class Principal:
    partner: Partner
    #: a device's own location; None for a partner user (who names one per request)
    location: Location | None
    device: Device | None
    user: PartnerUser | None

    @property
    def actor(self) -> Actor:
        if self.user is not None:
            return logins.user_actor(self.user, request_id())
        if self.device is not None:
            return logins.device_actor(self.device, request_id())
        return Actor("device:0", "device", request_id())

    @property
    def is_manager(self) -> bool:
        return self.user is not None and self.user.role == PartnerRole.manager

    def location_for(self, location_id: object) -> Location:
        """Where this request happens: the device's location, or the user's choice of the
        partner's own active locations. A device that names another location is refused."""
        if self.location is not None:
            if location_id is not None and location_id != self.location.id:
                raise LocationNotAllowed()
            return self.location
        if location_id is None:
            raise LocationRequired()
        location = (
            get_session().get(Location, location_id) if isinstance(location_id, int) else None
        )
        if location is None or location.partner_id != self.partner.id or not location.active:
            raise LocationNotAllowed()
        return location


def _user_for_token(token: str) -> PartnerUser | None:
    """The partner user a live ``almpu_`` token belongs to (almerepas.contracts.logins)."""
    return logins.user_for_token(get_session(), token, clock.now())


def current_principal() -> Principal | None:
    """The device or partner user of this request, or None; looked up once per request."""
    if "partner_principal" not in g:
        g.partner_principal = _principal(bearer_token())
    principal: Principal | None = g.partner_principal
    return principal


def _principal(token: str | None) -> Principal | None:
    if token is None:
        return None
    if token.startswith(KEY_PREFIX):
        device = authenticate_device(get_session(), token, get_keys())
        return Principal(device.partner, device.location, device, None)
    user = _user_for_token(token)
    if user is None or not user.active or not user.partner.active:
        return None
    return Principal(user.partner, None, None, user)


def require_partner(*, manager: bool = False) -> Callable[[F], F]:
    """Let a view run only for a partner's device or user (``manager``: only a manager).
    The view gets the principal as its first argument."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                raise PartnerNotAuthenticated()
            if manager and not principal.is_manager:
                raise Forbidden()
            return view(principal, *args, **kwargs)

        wrapper.partner_view = True  # type: ignore[attr-defined]
        document_auth(wrapper)  # 403: a manager-only view, or a location not the caller's
        return cast(F, wrapper)

    return decorator


def attempt_partner_login(username: str, password: str, totp_code: str | None) -> int:
    """Check a partner user's login in a transaction of its own; the user's id, or raise.

    As the staff login (almerepas.http.guard.attempt_login): a refusal changes state (the
    failure count, the lock, the audit row) that is kept although the request answers 401.
    """
    origin = Actor("anonymous", request_id=request_id())
    return in_own_transaction(
        lambda db: (
            logins.authenticate_partner_user(
                db,
                username=username,
                password=password,
                totp_code=totp_code,
                now=clock.now(),
                keys=get_keys(),
                origin=origin,
            ).id
        ),
        keep_on=(NotAuthenticated,),
    )


# -- the portal's page session --------------------------------------------------------------------


def page_token(key: str) -> str | None:
    """A token kept in the session cookie under ``key``, if there is one."""
    token = session.get(key)
    return token if isinstance(token, str) else None


def current_page_principal() -> Principal | None:
    """Who uses the portal in this browser: the logged-in partner user, else the device the
    browser is paired with, else None. Looked up once per request."""
    if "partner_page_principal" not in g:
        g.partner_page_principal = _page_principal()
    principal: Principal | None = g.partner_page_principal
    return principal


def _page_principal() -> Principal | None:
    db, now = get_session(), clock.now()
    user_token = page_token(PAGE_USER_TOKEN_KEY)
    user = logins.user_for_token(db, user_token, now) if user_token else None
    if user is not None:
        return Principal(user.partner, None, None, user)
    device_token = page_token(PAGE_DEVICE_SESSION_KEY)
    device = logins.device_for_session(db, device_token, now) if device_token else None
    if device is not None:
        return Principal(device.partner, device.location, device, None)
    return None


def require_partner_page(*, manager: bool = False) -> Callable[[F], F]:
    """Let a portal page run only for a logged-in partner user or a paired device (``manager``:
    only a manager); otherwise send the browser to the login page, and back here after it.
    The view gets the principal as its first argument."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_page_principal()
            if principal is None:
                return redirect(url_for(LOGIN_ENDPOINT, next=request.full_path.rstrip("?")), 303)
            if manager and not principal.is_manager:
                raise Forbidden()
            return view(principal, *args, **kwargs)

        wrapper.partner_page = True  # type: ignore[attr-defined]
        wrapper.partner_view = True  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorator
