"""Read the gemeente's list of residents with a known income: rows, grouped by household.

The layout (docs/one-desk.md, "Het bestand"): UTF-8, semicolons, a header row with the
columns of ``COLUMNS`` in any order, one row per person. Nothing is written here; a row that
cannot be read is a ``Refusal`` with a reason code (``REASONS``), never an exception, so one
bad row does not stop the rest of the list.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from almerepas.core import gemeente
from almerepas.core.errors import ValidationFailed
from almerepas.core.i18n import N_
from almerepas.core.money import parse_euros
from almerepas.households.errors import PostcodeOutsideGemeente
from almerepas.households.members import Address, district_for, is_valid_bsn, normalise_postcode
from almerepas.households.models import MemberRole

COLUMNS = (
    "bsn",
    "huishouden",
    "rol",
    "geboortedatum",
    "voornaam",
    "achternaam",
    "straat",
    "postcode",
    "huisnummer",
    "toevoeging",
    "inkomensbron",
    "netto_per_maand",
    "sinds",
)
#: Columns that may be empty: a house number suffix, the income of someone without one.
OPTIONAL = frozenset({"toevoeging", "netto_per_maand"})
ROLES = {
    "aanvrager": MemberRole.applicant,
    "partner": MemberRole.partner,
    "kind": MemberRole.child,
    "overig": MemberRole.other,
}
#: The income source as the administration writes it -> a kind of income_kinds.csv (None: no
#: income). The kind decides how it counts, as on the caseworker's form (income/lines.py).
SOURCES: dict[str, str | None] = {
    "bijstand": "benefit",
    "uitkering": "benefit",
    "aow": "state_pension",
    "pensioen": "pension",
    "loon": "wages",
    "geen": None,
}
DATE_FORMATS = ("%d-%m-%Y", "%Y-%m-%d")

#: Why a row was not imported; the CLI shows the Dutch text, the audit row the code.
REASONS = {
    "missing_column": N_("Er ontbreekt een kolom in de eerste regel van het bestand."),
    "missing_field": N_("Er ontbreekt een verplicht veld."),
    "bad_bsn": N_("Het burgerservicenummer klopt niet (elfproef)."),
    "duplicate_bsn": N_("Dit burgerservicenummer staat vaker in het bestand."),
    "bad_role": N_("De rol is niet aanvrager, partner, kind of overig."),
    "bad_date": N_("Een datum is niet te lezen. Schrijf die als 31-12-2026."),
    "born_in_future": N_("De geboortedatum ligt in de toekomst."),
    "since_in_future": N_("De datum 'sinds' ligt in de toekomst."),
    "bad_postcode": N_("De postcode is niet te lezen. Schrijf die als 1315 AB."),
    "postcode_outside_almere": N_("De postcode ligt niet in %(gemeente)s."),
    "bad_house_number": N_("Het huisnummer is geen heel getal groter dan 0."),
    "bad_amount": N_("Het inkomen is geen bedrag in euro's, zoals 1.234,56."),
    "unknown_source": N_(
        "De inkomensbron is onbekend. Kies bijstand, uitkering, aow, pensioen, loon of geen."
    ),
    "address_differs": N_("Niet iedereen in dit huishouden heeft hetzelfde adres."),
    "no_applicant": N_("Dit huishouden heeft niet precies één aanvrager."),
    "second_partner": N_("Dit huishouden heeft meer dan één partner."),
    "household_incomplete": N_("Een andere regel van dit huishouden klopt niet."),
    "income_above_limit": N_("Het inkomen is hoger dan de grens van elke regeling."),
    "split_household": N_(
        "De mensen van dit huishouden wonen bij ons in verschillende huishoudens."
    ),
    "birth_date_differs": N_("De geboortedatum is anders dan bij ons bekend."),
}
#: A refusal by the domain (a second applicant, a norm missing) keeps the domain's code; this
#: text goes with it.
OTHER_REASON = N_("Een consulent moet dit huishouden nakijken.")


@dataclass(frozen=True)
class Row:
    """One person of the file, read and checked on its own."""

    line: int
    bsn: str
    key: str
    role: MemberRole
    born: dt.date
    given_name: str
    family_name: str
    address: Address
    kind: str | None
    income: int
    since: dt.date


@dataclass(frozen=True)
class Refusal:
    """A row that was not imported: its line in the file, its household key, why."""

    line: int
    key: str
    reason: str


@dataclass
class Parsed:
    households: dict[str, list[Row]]
    refused: list[Refusal]
    rows: int


def reason_text(code: str) -> str:
    """The Dutch text, with the gemeente's name where it says where."""
    return gemeente.current().fill(REASONS.get(code, OTHER_REASON))


def read_file(session: Session, text: str, *, today: dt.date) -> Parsed:
    """Every row checked alone, then per household; a household with one bad row is refused."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if missing := [c for c in COLUMNS if c not in header]:
        return Parsed({}, [Refusal(1, ",".join(missing), "missing_column")], 0)
    reader.fieldnames = header
    read: list[Row] = []
    refused: list[Refusal] = []
    count = 0
    for line, raw in enumerate(reader, start=2):
        count += 1
        fields = {k: (v or "").strip() for k, v in raw.items() if k in COLUMNS}
        found = _row(session, line, fields, today)
        (read if isinstance(found, Row) else refused).append(found)  # type: ignore[arg-type]
    twice = {b for b, n in Counter(r.bsn for r in read).items() if n > 1}
    refused += [Refusal(r.line, r.key, "duplicate_bsn") for r in read if r.bsn in twice]
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in read:
        if row.bsn not in twice:
            groups[row.key].append(row)
    bad_keys = {r.key for r in refused}
    households: dict[str, list[Row]] = {}
    for key, rows in sorted(groups.items()):
        reason = "household_incomplete" if key in bad_keys else _household_problem(rows)
        if reason:
            refused += [Refusal(r.line, key, reason) for r in rows]
        else:
            households[key] = rows
    return Parsed(households, sorted(refused, key=lambda r: r.line), count)


def _row(session: Session, line: int, fields: dict[str, str], today: dt.date) -> Row | Refusal:
    key = fields.get("huishouden", "")
    if any(not fields.get(c) for c in COLUMNS if c not in OPTIONAL):
        return Refusal(line, key, "missing_field")
    if not is_valid_bsn(fields["bsn"]):
        return Refusal(line, key, "bad_bsn")
    role = ROLES.get(fields["rol"].lower())
    if role is None:
        return Refusal(line, key, "bad_role")
    born, since = _date(fields["geboortedatum"]), _date(fields["sinds"])
    if born is None or since is None:
        return Refusal(line, key, "bad_date")
    if born > today:
        return Refusal(line, key, "born_in_future")
    if since > today:
        return Refusal(line, key, "since_in_future")
    try:
        postcode = normalise_postcode(fields["postcode"])
    except ValidationFailed:
        return Refusal(line, key, "bad_postcode")
    try:
        district_for(session, postcode)
    except PostcodeOutsideGemeente:
        return Refusal(line, key, "postcode_outside_almere")
    number = fields["huisnummer"]
    if not number.isdigit() or int(number) <= 0:
        return Refusal(line, key, "bad_house_number")
    source = fields["inkomensbron"].lower()
    if source not in SOURCES:
        return Refusal(line, key, "unknown_source")
    try:
        income = parse_euros(fields["netto_per_maand"] or "0")
    except ValueError:
        return Refusal(line, key, "bad_amount")
    if income < 0:
        return Refusal(line, key, "bad_amount")
    address = Address(postcode, int(number), fields["straat"], fields["toevoeging"] or None)
    return Row(
        line, fields["bsn"], key, role, born, fields["voornaam"], fields["achternaam"], address,
        SOURCES[source], income, since,
    )  # fmt: skip


def _date(text: str) -> dt.date | None:
    for form in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, form).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    return None


def _household_problem(rows: list[Row]) -> str | None:
    """One address, one applicant, at most one partner: what the norm needs (members.py)."""
    first = rows[0].address
    if any(_place(r.address) != _place(first) for r in rows):
        return "address_differs"
    roles = Counter(r.role for r in rows)
    if roles[MemberRole.applicant] != 1:
        return "no_applicant"
    if roles[MemberRole.partner] > 1:
        return "second_partner"
    return None


def _place(address: Address) -> tuple[str, int, str]:
    return address.postcode, address.house_number, (address.house_number_suffix or "").upper()
