"""Partners, their locations, contracts, users, devices and offers."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock
from almerepas.core.db import Base, str_enum
from almerepas.schemes.models import Scheme


class PayoutMethod(enum.StrEnum):
    sepa = "sepa"
    stripe = "stripe"


class LocationKind(enum.StrEnum):
    sport = "sport"
    culture = "culture"
    shop = "shop"
    transport = "transport"
    other = "other"


class TariffKind(enum.StrEnum):
    """What the gemeente pays a partner; the figure (``Contract.tariff``) is in the unit named."""

    #: the amount redeemed, cent for cent; no figure
    amount_redeemed = "amount_redeemed"
    #: cents per unit redeemed (a pack of period products)
    per_unit = "per_unit"
    #: cents per ride
    per_ride = "per_ride"
    #: cents per holder who used the scheme here in a month
    flat_per_holder_month = "flat_per_holder_month"
    #: the discount given, reimbursed for this share in basis points (10000 = all of it)
    discount_reimbursed = "discount_reimbursed"


class PartnerRole(enum.StrEnum):
    cashier = "cashier"
    manager = "manager"


class Partner(Base):
    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Kamer van Koophandel number: 8 digits
    kvk_number: Mapped[str] = mapped_column(String(8), unique=True)
    #: compact, upper case, checked with schwifty
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    payout_method: Mapped[PayoutMethod] = mapped_column(str_enum(PayoutMethod, "payout_method"))
    #: the partner's Stripe connected account (``acct_...``), for payout_method stripe
    stripe_account: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Location(Base):
    __tablename__ = "partner_location"
    #: what a settlement line's (location, partner) refers to: the location is that partner's
    __table_args__ = (Index("ix_partner_location_id_partner", "id", "partner_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    house_number: Mapped[str] = mapped_column(String(20))
    #: normalised: ``1315AB``
    postcode: Mapped[str] = mapped_column(String(6))
    kind: Mapped[LocationKind] = mapped_column(str_enum(LocationKind, "location_kind"))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    partner: Mapped[Partner] = relationship()


contract_location = Table(
    "contract_location",
    Base.metadata,
    Column("contract_id", ForeignKey("contract.id"), primary_key=True),
    Column("location_id", ForeignKey("partner_location.id"), primary_key=True, index=True),
)


class Contract(Base):
    __tablename__ = "contract"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
        CheckConstraint(
            "(tariff_kind = 'amount_redeemed' AND tariff IS NULL)"
            " OR (tariff_kind = 'discount_reimbursed' AND tariff > 0 AND tariff <= 10000)"
            " OR (tariff_kind IN ('per_unit', 'per_ride', 'flat_per_holder_month')"
            " AND tariff >= 0)",
            name="tariff_fits_kind",
        ),
        #: what a settlement line's (contract, partner, scheme) refers to
        Index("ix_contract_id_partner_scheme", "id", "partner_id", "scheme_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scheme.id"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    #: the last day, inclusive; None: open-ended
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    tariff_kind: Mapped[TariffKind] = mapped_column(str_enum(TariffKind, "tariff_kind", length=30))
    #: cents (per unit, per ride, per holder per month) or basis points (discount reimbursed)
    tariff: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    partner: Mapped[Partner] = relationship()
    scheme: Mapped[Scheme] = relationship()
    locations: Mapped[list[Location]] = relationship(
        secondary=contract_location, order_by=Location.id
    )


class PartnerUser(Base):
    """A partner's own login; passwords and TOTP as staff accounts (almerepas.staff.accounts)."""

    __tablename__ = "partner_user"
    __table_args__ = (
        CheckConstraint(
            "role <> 'manager' OR totp_secret_encrypted IS NOT NULL",
            name="manager_has_second_factor",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[PartnerRole] = mapped_column(str_enum(PartnerRole, "partner_role"))
    #: argon2id hash
    password_hash: Mapped[str] = mapped_column(String(200))
    #: encrypted TOTP secret; a manager always has one
    totp_secret_encrypted: Mapped[bytes | None]
    totp_last_step: Mapped[int | None]
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    last_login_at: Mapped[dt.datetime | None]

    partner: Mapped[Partner] = relationship()


class Device(Base):
    """A counter device or validator at one location; only a keyed hash of its key is stored."""

    __tablename__ = "partner_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("partner_location.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: HMAC-SHA256 of the key (Keyring.keyed_hash, purpose ``device-key``)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    revoked_at: Mapped[dt.datetime | None]

    partner: Mapped[Partner] = relationship()
    location: Mapped[Location] = relationship()


class PartnerUserToken(Base):
    """A partner user's bearer token for the API, or the server side of a page session; only
    its SHA-256 is stored (almerepas.contracts.logins)."""

    __tablename__ = "partner_user_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_user_id: Mapped[int] = mapped_column(ForeignKey("partner_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    partner_user: Mapped[PartnerUser] = relationship(lazy="joined")


class DeviceSession(Base):
    """A browser paired with a device ("dit apparaat koppelen"): its page session acts as the
    device. The cookie holds a random token, this row its SHA-256, never the device key."""

    __tablename__ = "partner_device_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("partner_device.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    device: Mapped[Device] = relationship(lazy="joined")


class Offer(Base):
    """A partner's own discount for every resident (the basic catalogue): no contract, no money."""

    __tablename__ = "offer"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    title_nl: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_nl: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    conditions_nl: Mapped[str | None] = mapped_column(Text)
    conditions_en: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    partner: Mapped[Partner] = relationship()
