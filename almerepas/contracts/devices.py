"""Devices: a counter device or validator at one location, with its own API key.

The key is made here, returned once and never stored: the database keeps only its keyed hash
(``Keyring.keyed_hash``, an HMAC under the app's hash key), so a copy of the database does not
let anyone scan. A device is refused when its key is unknown (``device_unknown``) or revoked,
or when its partner or location no longer takes part (``device_revoked``).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.errors import DeviceRevoked, DeviceUnknown, InvalidDevice, field_error
from almerepas.contracts.models import Device, Location, Partner
from almerepas.contracts.partners import require_active
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.core.errors import NotFound
from almerepas.core.inserted import columns_of, loaded
from almerepas.core.text import is_plain

#: Every device key starts with this, so a leaked one is easy to recognise (secret scanners).
KEY_PREFIX = "almdev_"
HASH_PURPOSE = "device-key"
#: longer input is no key of ours: refused before it is hashed
MAX_KEY_LENGTH = 200


def key_hash(key: str, keys: Keyring) -> str:
    return keys.keyed_hash(key, HASH_PURPOSE)


def get_device(session: Session, partner: Partner, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None or device.partner_id != partner.id:
        raise NotFound(detail=f"Deze partner heeft geen apparaat met nummer {device_id}.")
    return device


def create_device(
    session: Session,
    partner: Partner,
    data: Mapping[str, Any],
    *,
    keys: Keyring,
    actor: Actor,
) -> tuple[Device, str]:
    """A new device at one of the partner's active locations, and its key (shown only now)."""
    require_active(partner)
    name = str(data.get("name", "")).strip()
    if not name or not is_plain(name, 200):
        detail = "Vul een naam in van hoogstens 200 tekens."
        raise InvalidDevice(detail, **field_error("name", detail))
    location_id = data.get("location_id")
    location = session.get(Location, location_id) if isinstance(location_id, int) else None
    if location is None or location.partner_id != partner.id or not location.active:
        detail = "Kies een locatie van deze partner die meedoet."
        raise InvalidDevice(detail, **field_error("location_id", detail))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    device = Device(partner=partner, location=location, name=name, key_hash=key_hash(key, keys))
    session.add(device)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="device.create",
        entity_type="partner_device",
        entity_id=device.id,
        changes=audit.changes_between(
            {}, {"partner_id": partner.id, "location_id": location.id, "name": name}
        ),
    )
    return device, key


def revoke_device(session: Session, device: Device, *, actor: Actor) -> Device:
    """Withdraw the device's key at once; revoking twice changes nothing."""
    if device.revoked_at is None:
        device.revoked_at = clock.now()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="device.revoke",
            entity_type="partner_device",
            entity_id=device.id,
            changes={"revoked_at": [None, device.revoked_at.isoformat()]},
        )
    return device


#: what a request of a device uses of the three rows; the rest loads if a view asks for it
_DEVICE = ("partner_id", "location_id", "name", "revoked_at")
_PARTNER = ("name", "active")
_LOCATION = ("partner_id", "name", "kind", "active")


@functools.cache
def _by_key_hash() -> Select[Any]:
    """The device of a key hash with its partner and location, built once (a bound value): one
    Core statement whose row becomes the three objects, read fresh on every request (a revoked
    device, partner or location is refused at once)."""
    devices = cast(Table, Device.__table__)
    partners = cast(Table, Partner.__table__)
    locations = cast(Table, Location.__table__)
    return (
        select(
            *columns_of(devices, Device, "d_", _DEVICE),
            *columns_of(partners, Partner, "p_", _PARTNER),
            *columns_of(locations, Location, "l_", _LOCATION),
        )
        .join_from(devices, partners, partners.c.id == devices.c.partner_id)
        .join(locations, locations.c.id == devices.c.location_id)
        .where(devices.c.key_hash == bindparam("key_hash"))
    )


def authenticate_device(session: Session, key: str, keys: Keyring) -> Device:
    """The device this key belongs to, if it may still scan; refused otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DeviceUnknown()
    session.flush()  # a Core read: what the caller changed counts, as with the ORM's autoflush
    row = session.connection().execute(_by_key_hash(), {"key_hash": key_hash(key, keys)}).first()
    if row is None:
        raise DeviceUnknown()
    device = loaded(session, Device, row._mapping, "d_", _DEVICE)
    set_committed_value(device, "partner", loaded(session, Partner, row._mapping, "p_", _PARTNER))
    location = loaded(session, Location, row._mapping, "l_", _LOCATION)
    set_committed_value(device, "location", location)
    if device.revoked_at is not None or not device.partner.active or not device.location.active:
        raise DeviceRevoked()
    return device
