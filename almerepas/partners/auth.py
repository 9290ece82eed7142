"""Who is asking on the partner side: a device (its key) or a partner user (a token).

A device is bound to one location: everything it does happens there. A partner user works for
the whole partner and names the location per request (``location_id``), which must be one of
its own. The API reads only the ``Authorization: Bearer`` header, as the staff API does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import g, redirect, request, session

from almerepas.audit.log import Actor
from almerepas.contracts.devices import KEY_PREFIX, authenticate_device
from almerepas.contracts.models import Device, Location, Partner, PartnerRole, PartnerUser
from almerepas.core.errors import DomainError
from almerepas.core.session import get_keys, get_session
from almerepas.http.errors import Forbidden
from almerepas.http.guard import bearer_token, document_auth
from almerepas.http.problems import request_id
from almerepas.partners.errors import LocationRequired, PartnerNotAuthenticated
from almerepas.redemptions.errors import LocationNotAllowed

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    partner: Partner
    #: a device's own location; None for a partner user (who names one per request)
    location: Location | None
    device: Device | None
    user: PartnerUser | None

    @property
    def actor(self) -> Actor:
        if self.user is None:
            return Actor(f"device:{self.device.id if self.device else 0}", "device", request_id())
        return Actor(f"partner:{self.user.username}", self.user.role.value, request_id())

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
    """The partner user a token belongs to; partner-user tokens come with the partner login."""
    del token
    return None


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


# -- the portal's page session ------------------------------------------------------------------
# PORTAL (issue 11, item 7): a MINIMAL stand-in until LOGIN's page session lands. It reads a
# paired counter device's key from the signed session cookie; LOGIN replaces this with the real
# page session (partner users and paired devices) under the same two names. The merger keeps
# LOGIN's version of current_page_principal() and require_partner_page().

#: The Flask session key of a paired device's key (stand-in; see above).
PAGE_DEVICE_KEY = "partner_device_key"
#: Where a visitor without a partner page session is sent (LOGIN's page).
PAGE_LOGIN_PATH = "/partner/inloggen"


def current_page_principal() -> Principal | None:
    """The partner device or user of this page request (the session cookie), or None."""
    if "partner_page_principal" not in g:
        key = session.get(PAGE_DEVICE_KEY)
        principal = None
        if isinstance(key, str) and key.startswith(KEY_PREFIX):
            try:
                principal = _principal(key)
            except DomainError:
                principal = None  # revoked or unknown: log in again
        g.partner_page_principal = principal
    found: Principal | None = g.partner_page_principal
    return found


def require_partner_page(*, manager: bool = False) -> Callable[[F], F]:
    """Let a portal page run only for a partner (``manager``: only a manager); a visitor goes
    to the login page. The view gets the principal as its first argument."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_page_principal()
            if principal is None:
                return redirect(f"{PAGE_LOGIN_PATH}?next={request.path}", 303)
            if manager and not principal.is_manager:
                raise Forbidden()
            return view(principal, *args, **kwargs)

        wrapper.partner_view = True  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorator
