"""The choices the law leaves to the gemeente, as settings: each with a default, shown to staff,
changed by the policy role and audited.

A setting holds from the moment it is changed, for every verdict asked from then on (pages,
runs); it is not dated. docs/eligibility.md lists each with its source and its default.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.errors import NotFound, ValidationFailed
from almerepas.core.i18n import N_
from almerepas.income.models import HouseholdType, PolicySetting


class YouthNorm(enum.StrEnum):
    #: 18-20 year olds against the youth norms (art. 20(1)); the supplement of art. 12/20(3)
    #: when the assessment records that their parents cannot support them
    statutory = "statutory"
    #: everyone from 18 against the norms of 21 and older: the gemeente is more generous
    adult = "adult"


class OutsideFamily(enum.StrEnum):
    """How a lodger, or a child of 18 or older, counts for person schemes with an income test."""

    #: only on an assessment of their own: they are a household of their own (art. 4)
    own_assessment = "own_assessment"
    #: on the assessment of the household they live in
    household = "household"


class Students(enum.StrEnum):
    #: judged like anyone; their student finance counts as income
    counted = "counted"
    #: a member who receives student finance gets no person scheme with an income test
    not_eligible = "not_eligible"


class IncomePeriod(enum.StrEnum):
    """Over which period the caseworker averages the monthly income."""

    month = "month"
    three_months = "three_months"
    twelve_months = "twelve_months"


#: the kind of income (income_kinds.csv) that makes a member a student for the ``students`` setting
STUDENT_FINANCE = "student_finance"

#: the household types an asset limit names: couple_mixed counts as a couple
ASSET_TYPES = ("single", "single_parent", "couple")


@dataclass(frozen=True)
class Policy:
    """The gemeente's choices as they stand; the defaults hold until a setting is changed."""

    #: cents per household type; None: no asset test
    asset_limit: Mapping[str, int] | None = None
    youth_norm: YouthNorm = YouthNorm.statutory
    lodgers: OutsideFamily = OutsideFamily.own_assessment
    adult_children: OutsideFamily = OutsideFamily.own_assessment
    students: Students = Students.counted
    income_period: IncomePeriod = IncomePeriod.month
    assessment_months: int = 12

    def asset_limit_for(self, household_type: HouseholdType) -> int | None:
        if self.asset_limit is None:
            return None
        kind = "couple" if household_type == HouseholdType.couple_mixed else household_type.value
        return self.asset_limit[kind]


DEFAULT = Policy()


@dataclass(frozen=True)
class Setting:
    """One choice: its Dutch name and explanation, its source, and how a value is checked."""

    key: str
    label: str
    explanation: str
    source: str
    parse: Callable[[Any], Any]
    dump: Callable[[Any], Any]

    @property
    def default(self) -> Any:
        return self.dump(getattr(DEFAULT, self.key))


def _invalid(detail: str) -> ValidationFailed:
    return ValidationFailed(
        detail=detail, errors=[{"field": "value", "in": "json", "detail": detail}]
    )


def _choice(kind: type[enum.StrEnum]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if not isinstance(value, str) or value not in kind.__members__.values():
            allowed = ", ".join(m.value for m in kind)
            raise _invalid(f"Kies een van: {allowed}.")
        return kind(value)

    return parse


def _whole_cents(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**10


def _parse_asset_limit(value: Any) -> Mapping[str, int] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != set(ASSET_TYPES):
        raise _invalid(
            "Geef geen grens (null), of een bedrag in centen voor elk van: "
            + ", ".join(ASSET_TYPES)
            + "."
        )
    if not all(_whole_cents(v) for v in value.values()):
        raise _invalid("Elke vermogensgrens is een heel aantal centen, 0 of meer.")
    return dict(value)


def _parse_months(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 36:
        raise _invalid("Een inkomenstoets geldt 1 tot en met 36 maanden.")
    return value


def _value(v: Any) -> Any:
    return v.value if isinstance(v, enum.Enum) else (dict(v) if isinstance(v, Mapping) else v)


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting(
            "asset_limit",
            N_("Vermogensgrens"),
            N_(
                "Geen grens, of een grens per soort huishouden in centen. Met een grens vult "
                "de consulent bij elke toets het vermogen in; wie erboven zit, krijgt geen "
                "regeling met een inkomensgrens. Wettelijke grenzen 2026: alleenstaand "
                "€ 8.000, alleenstaande ouder en stel € 16.000."
            ),
            "Participatiewet art. 34; gemeentelijke keuze voor minimaregelingen",
            _parse_asset_limit,
            lambda v: None if v is None else dict(v),
        ),
        Setting(
            "youth_norm",
            N_("Jongerennorm (18 tot 21 jaar)"),
            N_(
                "statutory: jongeren van 18 tot 21 worden gemeten aan de jongerennorm, met de "
                "aanvulling als hun ouders niet kunnen bijdragen. adult: iedereen vanaf 18 wordt "
                "gemeten aan de norm voor 21 jaar en ouder."
            ),
            "Participatiewet art. 12, 20 lid 1 en 3",
            _choice(YouthNorm),
            _value,
        ),
        Setting(
            "lodgers",
            N_("Kostgangers en huurders in huis"),
            N_(
                "own_assessment: een kostganger krijgt regelingen met een inkomensgrens alleen "
                "met een eigen inkomenstoets (als eigen huishouden op hetzelfde adres). "
                "household: hij telt mee met de toets van het huishouden waar hij woont."
            ),
            "Participatiewet art. 4 (gezin); gemeentelijke keuze",
            _choice(OutsideFamily),
            _value,
        ),
        Setting(
            "adult_children",
            N_("Thuiswonende kinderen van 18 jaar en ouder"),
            N_(
                "own_assessment: een kind van 18 of ouder krijgt regelingen met een "
                "inkomensgrens alleen met een eigen inkomenstoets. household: het telt mee met "
                "de toets van de ouders."
            ),
            "Participatiewet art. 4 (gezin: minderjarige kinderen); gemeentelijke keuze",
            _choice(OutsideFamily),
            _value,
        ),
        Setting(
            "students",
            N_("Studenten"),
            N_(
                "counted: een student wordt getoetst zoals iedereen; studiefinanciering telt als "
                "inkomen. not_eligible: wie studiefinanciering krijgt, krijgt geen regeling voor "
                "personen met een inkomensgrens."
            ),
            "Participatiewet art. 13 lid 2 (geen bijstand bij studiefinanciering); "
            "gemeentelijke keuze",
            _choice(Students),
            _value,
        ),
        Setting(
            "income_period",
            N_("Over welke periode het inkomen wordt bepaald"),
            N_(
                "month: het netto inkomen van de maand voor de peildatum. three_months: het "
                "gemiddelde per maand over de 3 maanden ervoor. twelve_months: over de 12 "
                "maanden ervoor."
            ),
            "Gemeentelijke keuze (beleidsregels minimaregelingen)",
            _choice(IncomePeriod),
            _value,
        ),
        Setting(
            "assessment_months",
            N_("Hoe lang een inkomenstoets geldt, in maanden"),
            N_("Na deze termijn is een nieuwe toets nodig. Standaard 12 maanden."),
            "Gemeentelijke keuze",
            _parse_months,
            _value,
        ),
    )
}


def load_policy(session: Session) -> Policy:
    """The settings as they stand: the stored values over the defaults."""
    stored = {row.key: row.value for row in session.scalars(select(PolicySetting))}
    values = {key: SETTINGS[key].parse(value) for key, value in stored.items() if key in SETTINGS}
    return dataclasses.replace(DEFAULT, **values)


def setting(key: str) -> Setting:
    if key not in SETTINGS:
        raise NotFound(detail="Deze instelling bestaat niet.")
    return SETTINGS[key]


def change_setting(session: Session, key: str, value: Any, *, actor: Actor) -> Policy:
    """Set one choice; the audit row keeps the value before and after.

    :raises NotFound: no such setting.
    :raises ValidationFailed: the value does not fit the setting.
    """
    chosen = setting(key)
    parsed = chosen.parse(value)
    row = session.get(PolicySetting, key, with_for_update=True)
    before = getattr(load_policy(session), key)
    if row is None:
        row = PolicySetting(key=key)
        session.add(row)
    row.value = chosen.dump(parsed)
    row.changed_by = actor.name
    row.changed_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="policy.change",
        entity_type="policy_setting",
        entity_id=key,
        changes={"value": [chosen.dump(before), chosen.dump(parsed)]},
    )
    return load_policy(session)


def stored_settings(session: Session) -> dict[str, PolicySetting]:
    """Who changed which setting when: the rows behind the values that are not defaults."""
    return {row.key: row for row in session.scalars(select(PolicySetting))}
