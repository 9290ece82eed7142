"""A pass per person: its number, status, generation and validity."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock
from almerepas.core.db import Base, str_enum
from almerepas.households.models import Person


class BlockReason(enum.StrEnum):
    lost = "lost"
    stolen = "stolen"
    other = "other"


class PassStatus(enum.StrEnum):
    active = "active"
    #: lost or stolen: its credentials stop working at once
    blocked = "blocked"
    #: a newer pass (a higher generation) took its place
    replaced = "replaced"
    #: past ``valid_until``
    expired = "expired"


class Pass(Base):
    """One person's pass. The number is printed on the card and read out over the phone; the
    generation rises with every replacement, and every credential carries it, so a credential
    of an older generation is refused."""

    __tablename__ = "pass"
    __table_args__ = (
        CheckConstraint("generation >= 1", name="generation_positive"),
        CheckConstraint("valid_until >= valid_from", name="valid_period"),
        Index(None, "person_id", "status"),
        # One pass that works per person, also when two caseworkers issue at the same moment:
        # the domain refuses first (pass_exists); this index is the safety net.
        Index(
            "ix_pass_one_active_per_person",
            "person_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: digits with a check digit, e.g. ``4821390712653``; unique across all generations
    number: Mapped[str] = mapped_column(String(20), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    status: Mapped[PassStatus] = mapped_column(str_enum(PassStatus, "pass_status"))
    generation: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    issued_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    status_changed_at: Mapped[dt.datetime | None]
    #: why a pass was blocked: lost, stolen, other
    block_reason: Mapped[str | None] = mapped_column(String(20))
    #: the pass this one replaced (its generation is one lower)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("pass.id"))

    person: Mapped[Person] = relationship(lazy="joined")


class CardPrint(Base):
    """A printed card: which pass, of which generation, when and by whom (``cards print``).

    A batch prints a card for every active pass that has none of its generation yet; a single
    card (``cards print --pass``) may be printed again, and every print is a row.
    """

    __tablename__ = "card_print"

    id: Mapped[int] = mapped_column(primary_key=True)
    pass_id: Mapped[int] = mapped_column(ForeignKey("pass.id"), index=True)
    generation: Mapped[int]
    printed_at: Mapped[dt.datetime]
    #: the actor's name: ``cli:cards-print``
    printed_by: Mapped[str] = mapped_column(String(120))
