"""Small helpers that make ledger fixtures with the fewest lines."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from almerepas.ledger import posting as ledger
from almerepas.ledger.posting import EUR, Leg
from almerepas.models import Account, AccountKind, EntryKind


def make_account(
    session: Session,
    kind: AccountKind = AccountKind.entitlement,
    unit: str = EUR,
    code: str | None = None,
    **kwargs: object,
) -> Account:
    return ledger.open_account(
        session,
        code=code or f"{kind.value}:{uuid.uuid4().hex[:12]}",
        name=f"test {kind.value}",
        kind=kind,
        unit=unit,
        **kwargs,  # type: ignore[arg-type]
    )


def funded_account(session: Session, balance: int, unit: str = EUR) -> tuple[Account, Account]:
    """A bounded entitlement holding ``balance``, granted from an unbounded source."""
    source = make_account(session, AccountKind.source, unit)
    account = make_account(session, AccountKind.entitlement, unit)
    ledger.post_entry(
        session,
        kind=EntryKind.grant,
        natural_key=f"test:grant:{uuid.uuid4().hex}",
        legs=[Leg(source, account, balance)],
        actor="test",
    )
    return source, account


# -- staff accounts (almerepas.auth) ------------------------------------------------------------

from typing import TYPE_CHECKING  # noqa: E402 - appended section

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from almerepas.models import Role, StaffUser

STAFF_PASSWORD = "correct horse battery staple"


def make_staff(
    session: Session,
    role: Role | str,
    *,
    app: Flask | None = None,
    username: str | None = None,
    password: str = STAFF_PASSWORD,
) -> tuple[StaffUser, str, str]:
    """A new active staff account with ``role``: returns (user, password, totp_secret).

    Needs an app context (the TOTP secret is encrypted with the app's key): call it inside
    ``with app.app_context():`` or pass ``app=``.
    """
    from contextlib import AbstractContextManager, nullcontext

    from flask import has_app_context

    from almerepas.staff.accounts import create_staff_user

    context: AbstractContextManager[object] = (
        app.app_context() if app is not None and not has_app_context() else nullcontext()
    )
    with context:
        user, secret = create_staff_user(
            session,
            username=username or f"test.{uuid.uuid4().hex[:12]}",
            display_name="Test Medewerker",
            role=role,
            password=password,
            actor="test",
        )
    return user, password, secret


def totp_now(secret: str) -> str:
    """The code an authenticator app shows now (almerepas.clock.now, so frozen time works)."""
    import pyotp

    from almerepas.core import clock

    return pyotp.TOTP(secret).at(clock.now())


def login_headers(client: FlaskClient, username: str, password: str, secret: str) -> dict[str, str]:
    """Log in through POST /api/v1/tokens and return the Authorization header to send.

    A TOTP code works once: log each user in at most once per 30 seconds (make_staff gives a
    fresh user each time).
    """
    response = client.post(
        "/api/v1/tokens",
        json={"username": username, "password": password, "totp_code": totp_now(secret)},
    )
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def staff_headers(client: FlaskClient, session: Session, role: Role | str) -> dict[str, str]:
    """A new staff member with ``role``, logged in through the API: the headers to send."""
    user, password, secret = make_staff(session, role, app=client.application)
    return login_headers(client, user.username, password, secret)


def token_headers(session: Session, user: StaffUser) -> dict[str, str]:
    """Headers with a token issued directly (no password hashing, no TOTP): fast, for loops."""
    from almerepas.staff.tokens import issue_token

    return {"Authorization": f"Bearer {issue_token(session, user)}"}
