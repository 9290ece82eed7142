"""The logged-in holder of a request: a token in the signed session cookie, checked per request."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import g, redirect, request, session, url_for

from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.errors import NotFound
from almerepas.core.session import get_session
from almerepas.holders.household import visible_people
from almerepas.holders.sessions import holder_actor, person_for_session
from almerepas.households.models import Household, Person
from almerepas.http.problems import request_id

#: Keys in the Flask session (a signed cookie): the holder's token and person id, and the
#: contact a code was asked for (to fill in the code form).
TOKEN_KEY = "holder_token"  # noqa: S105 - a dict key, not a secret
PERSON_KEY = "holder_person"
CONTACT_KEY = "holder_contact"

F = TypeVar("F", bound=Callable[..., Any])


def current_holder() -> Person | None:
    """The holder logged in with this request's cookie, or None; looked up once per request."""
    if "holder" not in g:
        token, person_id = session.get(TOKEN_KEY), session.get(PERSON_KEY)
        person = None
        if isinstance(token, str) and isinstance(person_id, int):
            person = person_for_session(get_session(), token, now=clock.now())
            if person is not None and person.id != person_id:
                person = None
        g.holder = person
    holder: Person | None = g.holder
    return holder


def own_household() -> Household:
    """The holder's household, when the holder is its applicant or partner; else not found."""
    holder = current_holder()
    assert holder is not None  # noqa: S101 - holder_required let us in
    household, _people = visible_people(get_session(), holder, clock.today())
    if household is None:
        raise NotFound()
    return household


def actor() -> Actor:
    """The holder for the audit log, or anonymous before the login."""
    holder = current_holder()
    if holder is None:
        return Actor("anonymous", request_id=request_id())
    return holder_actor(holder.id, request_id())


def holder_required(view: F) -> F:
    """Send a visitor without a holder session to the login page, and back here after it."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_holder() is None:
            return redirect(url_for("holder.login", next=request.path), 303)
        return view(*args, **kwargs)

    return cast(F, wrapper)
