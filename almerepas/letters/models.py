"""A letter written to a household: what it says is kept as facts, drawn in its language when
it is sent or printed, so a reprint says the same."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from almerepas.core import clock
from almerepas.core.db import Base, str_enum


class LetterChannel(enum.StrEnum):
    email = "email"
    post = "post"


class Letter(Base):
    __tablename__ = "letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: none for someone who applied and has no household yet (a refusal, a question)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    #: what the letter is about (``letters.content.KINDS``)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[LetterChannel] = mapped_column(str_enum(LetterChannel, "letter_channel"))
    #: what the letter says, as data: the name and address it goes to, schemes and amounts,
    #: dates, the reason
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: the decision it belongs to, e.g. ``application:12:approved``: one letter per decision
    source_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(120))
    #: the e-mail in the outbox (channel email)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    #: when the print batch took it (channel post)
    printed_at: Mapped[dt.datetime | None]
    printed_by: Mapped[str | None] = mapped_column(String(120))
