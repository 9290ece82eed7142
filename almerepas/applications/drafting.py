"""A draft application: started, saved step by step as typed, resumed with a code.

What a resident types is kept as typed (``answers``), also while it is wrong, so nothing is lost;
``read`` checks all of it and says, per field, what is wrong in words a resident understands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.applications.models import Application, ApplicationStatus
from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.errors import ValidationFailed
from almerepas.core.i18n import N_
from almerepas.core.money import parse_euros
from almerepas.core.text import is_plain
from almerepas.households import members as households
from almerepas.households.errors import PostcodeOutsideGemeente
from almerepas.households.members import Address
from almerepas.households.models import MemberRole
from almerepas.income.lines import income_kinds
from almerepas.income.rules import age_on

MEMBER_ROWS = 8
INCOME_ROWS = 8
MEMBER_PARTS = ("given_name", "family_name", "born", "role")
INCOME_PARTS = ("member", "kind", "amount")
ADDRESS_FIELDS = ("postcode", "house_number", "suffix", "street")
CONTACT_FIELDS = ("email", "phone", "letters")
#: the steps and the typed fields each keeps
STEPS: dict[str, tuple[str, ...]] = {
    "members": tuple(f"member-{r}-{p}" for r in range(MEMBER_ROWS) for p in MEMBER_PARTS),
    "address": ADDRESS_FIELDS + CONTACT_FIELDS,
    "income": tuple(f"income-{r}-{p}" for r in range(INCOME_ROWS) for p in INCOME_PARTS),
}
#: the resume code: 12 characters without look-alikes (no 0/O, 1/I/L), in groups of 4
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAX_AMOUNT = 100_000_000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+?[0-9 ()-]{8,20}")
_DMY = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")

Errors = list[tuple[str, str]]


def new_code() -> str:
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _group in range(3))


def code_hash(code: str) -> str:
    """Codes are typed in any case, with or without dashes and spaces."""
    plain = re.sub(r"[^A-Z0-9]", "", code.upper())
    return hashlib.sha256(plain.encode()).hexdigest()


def start(
    session: Session, *, now: dt.datetime, actor: Actor, carried: dict[str, str] | None = None
) -> tuple[Application, str]:
    """A new draft and its resume code (shown once; only its hash is kept).

    ``actor`` is a staff member when a support worker fills it in for a resident: recorded.
    """
    code = new_code()
    answers: dict[str, Any] = {step: {} for step in STEPS}
    if carried:
        answers["members"] = carried
    application = Application(
        code_hash=code_hash(code),
        status=ApplicationStatus.draft,
        answers=answers,
        filled_by=actor.name if actor.name.startswith("staff:") else None,
        created_at=now,
        updated_at=now,
    )
    session.add(application)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="application.start",
        entity_type="application",
        entity_id=application.id,
    )
    return application, code


def find(session: Session, code: str) -> Application | None:
    return session.scalar(select(Application).where(Application.code_hash == code_hash(code)))


def editable(application: Application) -> bool:
    return application.status in (ApplicationStatus.draft, ApplicationStatus.more_info)


def as_typed(step: str, typed: dict[str, str]) -> dict[str, str]:
    """The fields of ``step`` that were filled in, trimmed, at most 200 characters each."""
    kept = {name: typed.get(name, "").strip()[:200] for name in STEPS[step]}
    return {name: value for name, value in kept.items() if value}


def save_step(
    application: Application, step: str, typed: dict[str, str], *, now: dt.datetime, actor: Actor
) -> None:
    """Keep what was typed for one step, as typed (trimmed, at most 200 characters a field)."""
    application.answers = {**application.answers, step: as_typed(step, typed)}
    application.updated_at = now
    if actor.name.startswith("staff:"):
        application.filled_by = actor.name


# -- reading what was typed ----------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    given_name: str
    family_name: str
    born: dt.date
    role: MemberRole


@dataclass(frozen=True)
class IncomeRow:
    member: int  #: the index in ``Read.members``
    kind: str
    amount: int  #: cents per month, or per year for a yearly kind


@dataclass
class Read:
    """The application as checked: what could be read, and the errors per field."""

    members: list[Member] = field(default_factory=list)
    address: Address | None = None
    email: str | None = None
    phone: str | None = None
    letters_by_post: bool = False
    incomes: list[IncomeRow] = field(default_factory=list)
    errors: Errors = field(default_factory=list)

    def error(self, name: str, message: str) -> None:
        if name not in dict(self.errors):
            self.errors.append((name, message))


def parse_date(text: str) -> dt.date | None:
    """A date typed as 15-03-1980; None when it is not one."""
    match = _DMY.fullmatch(text.strip())
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day) if 1900 <= year <= 2200 else None
    except ValueError:
        return None


def read(
    session: Session, answers: dict[str, Any], today: dt.date, steps: tuple[str, ...] = tuple(STEPS)
) -> Read:
    """Check the steps named; every problem at its field."""
    found = Read()
    rows: list[int] = []
    if "members" in steps or "income" in steps:
        rows = _members(found, answers.get("members", {}), today, report="members" in steps)
    if "address" in steps:
        _address(session, found, answers.get("address", {}))
    if "income" in steps:
        _incomes(found, answers.get("income", {}), rows)
    return found


def _members(found: Read, typed: dict[str, str], today: dt.date, *, report: bool) -> list[int]:
    """The member rows filled in; returns their row numbers (an income row names a row)."""
    errors = Read()
    rows: list[int] = []
    for row in range(MEMBER_ROWS):
        name = f"member-{row}-"
        values = {p: typed.get(name + p, "") for p in MEMBER_PARTS}
        if not any(values[p] for p in ("given_name", "family_name", "born")):
            continue
        for part, missing in (
            ("given_name", N_("Vul de voornaam in.")),
            ("family_name", N_("Vul de achternaam in.")),
        ):
            if not values[part]:
                errors.error(name + part, missing)
            elif not is_plain(values[part], 100):
                errors.error(name + part, N_("Gebruik gewone letters, hoogstens 100."))
        born = parse_date(values["born"])
        if born is None:
            errors.error(
                name + "born", N_("Vul de geboortedatum in zoals 15-03-1980 (dag-maand-jaar).")
            )
        elif born > today:
            errors.error(name + "born", N_("Deze geboortedatum ligt in de toekomst."))
        if values["role"] not in {r.value for r in MemberRole}:
            errors.error(name + "role", N_("Kies wie deze persoon is."))
        rows.append(row)
        readable = not any(n.startswith(name) for n, _m in errors.errors)
        if readable and born is not None and values["role"] in {r.value for r in MemberRole}:
            role = MemberRole(values["role"])
            found.members.append(Member(values["given_name"], values["family_name"], born, role))
    roles = [m.role for m in found.members]
    if not rows:
        errors.error("member-0-given_name", N_("Vul minstens één persoon in: uzelf."))
    elif roles.count(MemberRole.applicant) != 1 and len(roles) == len(rows):
        errors.error(f"member-{rows[0]}-role", N_("Kies precies één persoon als aanvrager: uzelf."))
    elif roles.count(MemberRole.partner) > 1:
        errors.error(f"member-{rows[0]}-role", N_("Een huishouden heeft hoogstens één partner."))
    aligned = len(found.members) == len(rows)
    for member, row in zip(found.members if aligned else [], rows, strict=False):
        if member.role == MemberRole.applicant and age_on(member.born, today) < 18:
            errors.error(f"member-{row}-born", N_("De aanvrager moet 18 jaar of ouder zijn."))
    if report:
        found.errors += errors.errors
    elif errors.errors:
        found.members = []
    return rows if len(found.members) == len(rows) else []


def _address(session: Session, found: Read, typed: dict[str, str]) -> None:
    postcode = typed.get("postcode", "")
    try:
        normal = households.normalise_postcode(postcode)
        households.district_for(session, normal)
    except ValidationFailed:
        found.error("postcode", N_("Vul de postcode in zoals 1315 AB."))
    except PostcodeOutsideGemeente:
        found.error(
            "postcode",
            N_(
                "Deze postcode ligt niet in %(gemeente)s. De %(pass_name)s is voor wie in "
                "%(gemeente)s woont."
            ),
        )
    number = typed.get("house_number", "")
    if not (number.isascii() and number.isdigit() and 0 < int(number) < 100_000):
        found.error(
            "house_number", N_("Vul het huisnummer in, alleen de cijfers. Bijvoorbeeld: 12.")
        )
    street = typed.get("street", "")
    if not street:
        found.error("street", N_("Vul de straat in."))
    elif not is_plain(street, 200):
        found.error("street", N_("Gebruik gewone letters, hoogstens 200."))
    suffix = typed.get("suffix", "")
    if len(suffix) > 10:
        found.error("suffix", N_("Een toevoeging is kort, bijvoorbeeld: A of 2-hoog."))
    email, phone = typed.get("email", ""), typed.get("phone", "")
    if email and not EMAIL.fullmatch(email):
        found.error("email", N_("Vul een e-mailadres in zoals naam@voorbeeld.nl."))
    if phone and not PHONE.fullmatch(phone):
        found.error("phone", N_("Vul een telefoonnummer in zoals 06 12345678."))
    letters = typed.get("letters") == "ja"
    if not (email or phone or letters):
        found.error(
            "email", N_("Vul een e-mailadres of telefoonnummer in, of kies voor brieven per post.")
        )
    if not found.errors:
        found.address = Address(normal, int(number), street, suffix or None)
        found.email, found.phone, found.letters_by_post = email or None, phone or None, letters


def _incomes(found: Read, typed: dict[str, str], rows: list[int]) -> None:
    kinds = income_kinds()
    for row in range(INCOME_ROWS):
        name = f"income-{row}-"
        values = {p: typed.get(name + p, "") for p in INCOME_PARTS}
        if not any(values.values()):
            continue
        member = values["member"]
        if not (member.isdigit() and int(member) in rows):
            found.error(name + "member", N_("Kies van wie dit inkomen is."))
        if values["kind"] not in kinds:
            found.error(name + "kind", N_("Kies de soort inkomen."))
        cents = amount(values["amount"])
        if cents is None:
            found.error(
                name + "amount",
                N_(
                    "Schrijf het bedrag zoals 1.234,56: een punt tussen de duizenden, "
                    "een komma voor de centen."
                ),
            )
        if (
            cents is not None
            and member.isdigit()
            and int(member) in rows
            and values["kind"] in kinds
        ):
            found.incomes.append(IncomeRow(rows.index(int(member)), values["kind"], cents))


def amount(text: str) -> int | None:
    """Euros typed the Dutch way, in cents; None for anything else (negative, too much)."""
    try:
        cents = parse_euros(text)
    except ValueError:
        return None
    return cents if 0 <= cents <= MAX_AMOUNT else None
