"""What a holder's login leaves in the database: one-time codes and page sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from almerepas.core import clock
from almerepas.core.db import Base


class LoginCode(Base):
    """One request for a code, by contact (an e-mail address or a mobile number).

    A row is written for every request, also for a contact nobody has (``person_id`` and
    ``code_hash`` empty): the rate limit counts rows per contact, and it must answer the same
    whether or not the contact exists. The contact and the code are kept only as keyed hashes.
    """

    __tablename__ = "login_code"
    __table_args__ = (Index(None, "contact_hash", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: HMAC of the normalised contact (core.crypto.Keyring.keyed_hash, purpose holder-contact)
    contact_hash: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    #: HMAC of the row's salt and the 6 digits; none for a contact nobody has
    code_hash: Mapped[str | None] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    #: wrong codes typed for this request; at MAX_ATTEMPTS the code stops working
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[dt.datetime | None]


class HolderSession(Base):
    """A logged-in holder's page session: the cookie holds a random token, we keep its SHA-256."""

    __tablename__ = "holder_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
