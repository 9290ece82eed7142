"""The gemeente this installation serves, read from its data folder, so a second gemeente is data.

A folder (``ALMEREPAS_GEMEENTE_DIR``; the shipped one is ``almerepas/reference/seed``) holds
``gemeente.toml``: the names, the postal address for objections, the bank account, the colours,
an optional logo, the districts, the reference files (postcodes, schemes, norms) and the demo's
streets and partners. docs/gemeente.md describes every key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The district of an address the postcode table cannot place (a PO-box range).
UNKNOWN_DISTRICT = "unknown"
_CODE = re.compile(r"^[a-z0-9_]{1,20}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_NAMES = frozenset({"gemeente", "pass_name", "organisation", "phone"})
#: The shipped folder (Almere's data, and the national norms every folder may lean on).
SHIPPED = Path(__file__).resolve().parent.parent / "reference" / "seed"


class GemeenteError(RuntimeError):
    """The data folder does not describe a gemeente the service can run for."""


@dataclass(frozen=True)
class District:
    code: str
    label: str


@dataclass(frozen=True)
class Colours:
    primary: str
    primary_dark: str
    focus: str


@dataclass(frozen=True)
class DemoPartner:
    """A partner of the demo: a club or shop with a contract for one scheme and a manager."""

    name: str
    kvk_number: str
    iban: str
    payout_method: str
    stripe_account: str | None
    #: the location: name, street, house number, postcode, kind
    place: tuple[str, str, str, str, str]
    scheme: str
    tariff_kind: str
    tariff: int | None
    manager: str


@dataclass(frozen=True)
class Gemeente:
    """Everything that differs between gemeenten: names, address, account, looks and data."""

    folder: Path
    #: the place, as in "U woont niet in Almere"
    name: str
    #: the organisation, as it signs letters: "Gemeente Almere"
    organisation: str
    #: the pass's name: "Almerepas"; its resident pages are "Mijn <pass_name>"
    pass_name: str
    objection_address: str
    #: the gemeente's phone number for residents: "14 036"
    phone: str
    #: the default public URL, the sender of residents' e-mail, the API's contact address
    public_url: str
    mail_from: str
    api_contact: str
    bank_iban: str
    bank_bic: str
    bank_name: str
    colours: Colours
    logo: Path | None
    districts: tuple[District, ...]
    postcodes: Path
    schemes: Path
    norms: tuple[Path, ...]
    norm_corrections: Path | None
    #: names in another script or language: {"ar": {"gemeente": "ألميره", ...}}
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the scheme whose grant for a month lets a holder ride the city bus free; none: no such
    bus_scheme: str | None = None
    demo_password: str = "demo"  # noqa: S105 - demo logins, refused in production
    demo_streets: dict[str, str] = field(default_factory=dict)
    demo_partners: tuple[DemoPartner, ...] = ()

    def placeholders(self, language: str | None = None) -> dict[str, str]:
        """What a text's ``%(gemeente)s``, ``%(pass_name)s``, ``%(organisation)s`` and
        ``%(phone)s`` become,
        in ``language`` when the folder spells a name in it (``[names.ar]``)."""
        names = {
            "gemeente": self.name,
            "pass_name": self.pass_name,
            "organisation": self.organisation,
            "phone": self.phone,
        }
        return {**names, **self.names.get(language or "", {})}

    def fill(self, text: str, language: str | None = None) -> str:
        """``text`` with this gemeente's names for its placeholders, and nothing else changed
        (a ``%`` of another kind stays as it is)."""
        for key, value in self.placeholders(language).items():
            text = text.replace(f"%({key})s", value)
        return text

    def district_codes(self) -> list[str]:
        """The districts in the folder's order, then the bucket for unplaced addresses."""
        return [d.code for d in self.districts] + [UNKNOWN_DISTRICT]

    def district_label(self, code: str | None) -> str | None:
        """The district's name, or None for the unknown bucket (its label is translated text)."""
        return next((d.label for d in self.districts if d.code == code), None)

    def district_by_name(self, text: str) -> str | None:
        """The code of a district given by its code or its label (the postcodes file has either)."""
        return next((d.code for d in self.districts if text in (d.code, d.label)), None)


def _required(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GemeenteError(f"{where}: '{key}' is required (a text)")
    return value.strip()


def _file(folder: Path, name: str, *, fallback: Path | None = None) -> Path:
    """A file of the folder; one it names but lacks may come from the shipped national data."""
    path = folder / name
    if path.is_file():
        return path
    if fallback is not None and (fallback / name).is_file():
        return fallback / name
    raise GemeenteError(f"{folder}: the file {name} is missing")


def load(folder: Path, *, national: Path = SHIPPED) -> Gemeente:
    """Read and check ``folder/gemeente.toml``; norm files it lacks come from ``national``
    (the Participatiewet's norms are the same in every gemeente)."""
    source = folder / "gemeente.toml"
    try:
        data = tomllib.loads(source.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise GemeenteError(f"{source} is missing: see docs/gemeente.md") from exc
    except tomllib.TOMLDecodeError as exc:
        raise GemeenteError(f"{source}: {exc}") from exc
    where = str(source)
    bank = data.get("bank", {})
    colours = data.get("colours", {})
    for key in ("primary", "primary_dark", "focus"):
        if not _COLOUR.match(str(colours.get(key, ""))):
            raise GemeenteError(f"{where}: colours.{key} must be a colour like #00558c")
    districts = tuple(
        District(_required(d, "code", where), _required(d, "label", where))
        for d in data.get("districts", [])
    )
    if not districts:
        raise GemeenteError(f"{where}: at least one [[districts]] with a code and a label")
    for d in districts:
        if not _CODE.match(d.code) or d.code == UNKNOWN_DISTRICT:
            raise GemeenteError(
                f"{where}: district code {d.code!r} must be 1 to 20 of a-z, 0-9 and _, "
                f"and not {UNKNOWN_DISTRICT!r}"
            )
    if len({d.code for d in districts}) != len(districts):
        raise GemeenteError(f"{where}: two districts share a code")
    logo = data.get("logo")
    demo = data.get("demo", {})
    return Gemeente(
        folder=folder,
        name=_required(data, "name", where),
        organisation=_required(data, "organisation", where),
        pass_name=_required(data, "pass_name", where),
        objection_address=_required(data, "objection_address", where),
        phone=_required(data, "phone", where),
        public_url=_required(data, "public_url", where),
        mail_from=_required(data, "mail_from", where),
        api_contact=_required(data, "api_contact", where),
        bank_iban=_required(bank, "iban", where + " [bank]"),
        bank_bic=_required(bank, "bic", where + " [bank]"),
        bank_name=_required(bank, "name", where + " [bank]"),
        colours=Colours(colours["primary"], colours["primary_dark"], colours["focus"]),
        logo=_file(folder, logo) if logo else None,
        districts=districts,
        postcodes=_file(folder, data.get("postcodes", "postcodes.csv")),
        schemes=_file(folder, data.get("schemes", "schemes.json")),
        norms=tuple(
            _file(folder, n, fallback=national)
            for n in data.get("norms", ["norms.csv", "norms_2026.csv"])
        ),
        norm_corrections=(
            _file(folder, data["norm_corrections"], fallback=national)
            if data.get("norm_corrections")
            else None
        ),
        names={
            str(language): {k: str(v) for k, v in spelled.items() if k in _NAMES}
            for language, spelled in data.get("names", {}).items()
        },
        bus_scheme=data.get("bus_scheme"),
        demo_password=str(demo.get("password", "demo")),
        demo_streets={str(k): str(v) for k, v in demo.get("streets", {}).items()},
        demo_partners=tuple(_demo_partner(p, where) for p in demo.get("partners", [])),
    )


def _demo_partner(data: dict[str, Any], where: str) -> DemoPartner:
    place = data.get("place", [])
    if len(place) != 5:
        raise GemeenteError(f"{where}: a demo partner's place is [name, street, number, pc, kind]")
    return DemoPartner(
        name=_required(data, "name", where),
        kvk_number=_required(data, "kvk_number", where),
        iban=_required(data, "iban", where),
        payout_method=_required(data, "payout_method", where),
        stripe_account=data.get("stripe_account"),
        place=(str(place[0]), str(place[1]), str(place[2]), str(place[3]), str(place[4])),
        scheme=_required(data, "scheme", where),
        tariff_kind=_required(data, "tariff_kind", where),
        tariff=data.get("tariff"),
        manager=_required(data, "manager", where),
    )


_current: Gemeente | None = None


def install(gemeente: Gemeente) -> None:
    """Make ``gemeente`` the one this process serves (the app factory calls it)."""
    global _current
    _current = gemeente


def current() -> Gemeente:
    """The gemeente this process serves; the shipped one until an app installs another."""
    global _current
    if _current is None:
        _current = load(SHIPPED)
    return _current
