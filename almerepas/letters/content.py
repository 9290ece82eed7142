"""What each kind of letter says, in plain Dutch (B1) from the catalogue: short sentences, "u",
one subject per paragraph, what to do first. ``paragraphs`` draws a letter's facts in a language.

The facts (``Letter.facts``) hold values, never sentences, so every language says the same:
``name`` (whom the letter greets), ``until`` (ISO date the pass works to), ``benefits`` (see
``Benefit``), ``source`` (where the gemeente's own data came from, for a letter without an
application: AVG art. 14), ``reason`` (a Dutch message id from ``REASONS``) and ``note`` (the
caseworker's own words, shown as written), ``deadline`` (ISO date) and ``link`` (where to
add to the application) for a request for more information.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from babel.dates import format_date

from almerepas.core import gemeente
from almerepas.core.i18n import N_
from almerepas.core.money import format_cents

#: Awb art. 6:7: six weeks from the day after the letter is sent.
OBJECTION_WEEKS = 6

APPROVED, GRANTED, REJECTED, MORE_INFO = "approved", "granted", "rejected", "more_info"
RENEWAL_INVITE, RENEWAL_REMINDER = "renewal_invite", "renewal_reminder"
OUTREACH_UNUSED, OUTREACH_EXPIRING = "outreach_unused", "outreach_expiring"
KINDS = (
    APPROVED, GRANTED, REJECTED, MORE_INFO, RENEWAL_INVITE, RENEWAL_REMINDER,
    OUTREACH_UNUSED, OUTREACH_EXPIRING,
)  # fmt: skip

#: Why an application is refused: the caseworker picks one, and may add words of their own.
REASONS = {
    "income_above": N_("Uw inkomen is hoger dan de grens van de regeling."),
    "not_in_almere": N_("U woont niet in %(gemeente)s."),
    "no_evidence": N_("Wij hebben de bewijsstukken die wij vroegen niet gekregen."),
    "assets_above": N_("Uw vermogen is hoger dan de grens van de regeling."),
    "already_has_pass": N_("Uw huishouden heeft al een %(pass_name)s."),
    "other": N_("Wij hebben een andere reden. Die staat hieronder."),
}


@dataclass(frozen=True)
class Benefit:
    """One scheme the household gets: its name, for whom, and what it is worth in a year."""

    scheme_nl: str
    scheme_en: str
    people: list[str]
    #: euros per year in cents; None for a right without an amount (free local buses)
    cents_per_year: int | None = None
    #: packs or units per year, for a quota
    units_per_year: int | None = None

    def as_fact(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Paragraph:
    style: str  # heading, subheading, body, item, closing
    text: str


Translate = Callable[[str], str]


def _date(value: str, language: str) -> str:
    return format_date(dt.date.fromisoformat(value), "d MMMM y", locale=language)


def _benefit_line(fact: dict[str, Any], _: Translate, language: str) -> str:
    name = fact["scheme_en"] if language == "en" else fact["scheme_nl"]
    people = ", ".join(fact["people"])
    if fact.get("cents_per_year") is not None:
        worth = _("%(amount)s per jaar") % {"amount": format_cents(fact["cents_per_year"])}
    elif fact.get("units_per_year") is not None:
        worth = _("%(units)s pakken per jaar") % {"units": fact["units_per_year"]}
    else:
        worth = _("zo vaak als u wilt")
    return _("%(scheme)s, voor %(people)s: %(worth)s") % {
        "scheme": name,
        "people": people,
        "worth": worth,
    }


def _using_the_pass(_: Translate) -> list[Paragraph]:
    return [
        Paragraph("subheading", _("Hoe gebruikt u de pas?")),
        Paragraph(
            "body",
            _(
                "U krijgt de pas met de post. Laat de pas zien bij de kassa of bij de club. "
                "De medewerker scant de QR-code. U ziet op Mijn %(pass_name)s wat u nog over heeft."
            ),
        ),
    ]


def _objection(_: Translate) -> list[Paragraph]:
    return [
        Paragraph("subheading", _("Bent u het niet eens met dit besluit?")),
        Paragraph(
            "body",
            _(
                "Dan kunt u bezwaar maken. Doe dat binnen %(weeks)s weken na de datum van deze "
                "brief. Schrijf in uw brief: uw naam en adres, de datum, over welk besluit het "
                "gaat en waarom u het er niet mee eens is. Zet uw handtekening eronder."
            )
            % {"weeks": OBJECTION_WEEKS},
        ),
        Paragraph(
            "body",
            _("Stuur uw brief naar: %(address)s. Wilt u eerst met ons praten? Bel %(phone)s.")
            % {"address": gemeente.current().objection_address, "phone": gemeente.current().phone},
        ),
    ]


def _benefits(facts: dict[str, Any], _: Translate, language: str) -> list[Paragraph]:
    return [
        Paragraph("subheading", _("Dit krijgt u")),
        *(Paragraph("item", _benefit_line(b, _, language)) for b in facts["benefits"]),
    ]


def subject(kind: str, _: Translate) -> str:
    """The letter's heading, also the e-mail's subject."""
    return {
        APPROVED: _("U krijgt de %(pass_name)s"),
        GRANTED: _("U krijgt de %(pass_name)s"),
        REJECTED: _("U krijgt de %(pass_name)s niet"),
        MORE_INFO: _("Wij hebben meer informatie nodig voor uw aanvraag"),
        RENEWAL_INVITE: _("Wilt u uw %(pass_name)s houden?"),
        RENEWAL_REMINDER: _("Herinnering: wilt u uw %(pass_name)s houden?"),
        OUTREACH_UNUSED: _("U heeft nog tegoed op uw %(pass_name)s"),
        OUTREACH_EXPIRING: _("Uw %(pass_name)s stopt binnenkort"),
    }[kind]


def _outreach(kind: str, facts: dict[str, Any], _: Translate, language: str) -> list[Paragraph]:
    """A friendly reminder (docs/outreach.md): what is waiting, until when, where to look, and
    how to say no to more reminders."""
    until = _date(facts["until"], language)
    if kind == OUTREACH_UNUSED:
        name = facts["scheme_en"] if language == "en" else facts["scheme_nl"]
        body = [
            Paragraph(
                "body",
                _("Met uw %(pass_name)s heeft u %(scheme)s. U heeft het nog niet gebruikt.")
                % {"scheme": name},
            ),
            *(Paragraph("item", person) for person in facts.get("people", [])),
            Paragraph(
                "body",
                _("Het werkt tot en met %(until)s. Wat u dan niet gebruikt heeft, vervalt.")
                % {"until": until},
            ),
            Paragraph("subheading", _("Waar kunt u de pas gebruiken?")),
            Paragraph(
                "body",
                _(
                    "Kijk op Mijn %(pass_name)s. Daar ziet u wat u nog heeft en bij welke clubs "
                    "en winkels u de pas kunt laten zien."
                ),
            ),
        ]
    else:
        body = [
            Paragraph("body", _("Uw %(pass_name)s werkt tot en met %(until)s.") % {"until": until}),
            Paragraph(
                "body",
                _(
                    "Wilt u de pas houden? Ga naar Mijn %(pass_name)s en kies 'Pas verlengen'. "
                    "Dat duurt ongeveer 5 minuten."
                ),
            ),
        ]
    return [
        *body,
        Paragraph(
            "body",
            _("Lukt het niet op internet? Bel %(phone)s. Wij helpen u.")
            % {"phone": gemeente.current().phone},
        ),
        Paragraph("subheading", _("Wilt u deze herinneringen niet meer?")),
        Paragraph(
            "body",
            _(
                "Zet ze uit op Mijn %(pass_name)s: kies daar 'Herinneringen'. Of bel %(phone)s. "
                "Dan sturen wij ze niet meer."
            )
            % {"phone": gemeente.current().phone},
        ),
    ]


def _renewal(until: str, reminder: bool, _: Translate) -> list[Paragraph]:
    first = (
        _("U kreeg van ons een brief over uw %(pass_name)s. Wij hebben nog niets van u gehoord.")
        if reminder
        else _("Uw %(pass_name)s werkt tot en met %(until)s.") % {"until": until}
    )
    return [
        Paragraph("body", first),
        Paragraph(
            "body",
            _(
                "Wilt u de pas daarna houden? Vertel ons dan of uw inkomen nog hetzelfde is. "
                "Dat duurt ongeveer 5 minuten."
            ),
        ),
        Paragraph("subheading", _("Hoe doet u dat?")),
        Paragraph(
            "body",
            _(
                "Ga naar Mijn %(pass_name)s en kies 'Pas verlengen'. U ziet wat wij nu van u "
                "weten. Klopt alles? Dan bevestigt u het. Is er iets veranderd? Dan past u het aan."
            ),
        ),
        Paragraph("subheading", _("Doet u niets?")),
        Paragraph(
            "body",
            _("Dan houdt u alles tot en met %(until)s. Daarna stopt de pas.") % {"until": until},
        ),
        Paragraph(
            "body",
            _("Lukt het niet op internet? Bel %(phone)s. Wij helpen u.")
            % {"phone": gemeente.current().phone},
        ),
    ]


def paragraphs(kind: str, facts: dict[str, Any], _: Translate, language: str) -> list[Paragraph]:
    """The letter, top to bottom, in the language ``_`` translates to."""
    until = _date(facts["until"], language) if facts.get("until") else ""
    body: list[Paragraph] = [
        Paragraph("heading", subject(kind, _)),
        Paragraph("body", _("Beste %(name)s,") % {"name": facts["name"]}),
    ]
    if kind == APPROVED:
        body += [
            Paragraph(
                "body",
                _("Wij hebben uw aanvraag bekeken. U krijgt de %(pass_name)s tot en met %(until)s.")
                % {"until": until},
            ),
            *_benefits(facts, _, language),
            *_using_the_pass(_),
            *_objection(_),
        ]
    elif kind == GRANTED:
        body += [
            Paragraph(
                "body",
                _(
                    "U hoeft hiervoor niets te doen. De gemeente weet uit haar eigen gegevens "
                    "dat uw inkomen laag is. Daarom krijgt u de %(pass_name)s tot en met %(until)s."
                )
                % {"until": until},
            ),
            Paragraph(
                "body",
                _("Wij gebruikten hiervoor de gegevens die de gemeente al van u heeft: %(source)s.")
                % {"source": facts.get("source") or "-"},
            ),
            *_benefits(facts, _, language),
            *_using_the_pass(_),
            *_objection(_),
        ]
    elif kind in (RENEWAL_INVITE, RENEWAL_REMINDER):
        body += _renewal(until, kind == RENEWAL_REMINDER, _)
    elif kind in (OUTREACH_UNUSED, OUTREACH_EXPIRING):
        body += _outreach(kind, facts, _, language)
    elif kind == REJECTED:
        body += [
            Paragraph("body", _("Wij hebben uw aanvraag bekeken. U krijgt de %(pass_name)s niet.")),
            Paragraph("subheading", _("Waarom niet?")),
            Paragraph("body", _(REASONS[facts["reason"]])),
        ]
        if facts.get("note"):
            body.append(Paragraph("body", facts["note"]))
        body += _objection(_)
    else:
        body += [
            Paragraph(
                "body",
                _("Wij kunnen nog niet beslissen over uw aanvraag. Wij hebben dit nog nodig:"),
            ),
            Paragraph("body", facts["note"]),
            Paragraph(
                "body",
                _(
                    "Stuur het ons vóór %(deadline)s. Ga naar %(link)s en vul de code van uw "
                    "aanvraag in. Lukt dat niet? Bel %(phone)s."
                )
                % {
                    "deadline": _date(facts["deadline"], language),
                    "link": facts["link"],
                    "phone": gemeente.current().phone,
                },
            ),
        ]
    body += [
        Paragraph("closing", _("Met vriendelijke groet,")),
        Paragraph("closing", gemeente.current().organisation),
    ]
    return body


def plain_text(kind: str, facts: dict[str, Any], _: Translate, language: str) -> str:
    """The letter as the text of an e-mail (the heading is its subject)."""
    lines = []
    for paragraph in paragraphs(kind, facts, _, language)[1:]:
        lines.append(f"- {paragraph.text}" if paragraph.style == "item" else paragraph.text)
    return "\n\n".join(lines) + "\n"
