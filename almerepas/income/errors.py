"""Refusals about norms and income assessments."""

from __future__ import annotations

from almerepas.core.errors import DomainError, ValidationFailed
from almerepas.core.i18n import N_


class NoNorm(DomainError):
    code = "no_norm"
    status = 400
    title = N_("Er is geen norm voor deze datum")


class NormImportRefused(DomainError):
    code = "norm_import_refused"
    status = 400
    title = N_("De normen zijn niet ingelezen")


class AssessmentOutOfOrder(DomainError):
    code = "assessment_out_of_order"
    status = 409
    title = N_("Er is al een inkomenstoets die op of na deze datum begint")


class AssetLimitNotSet(DomainError):
    code = "asset_limit_not_set"
    status = 400
    title = N_("Er is geen vermogensgrens: vul geen vermogen in")


class InvalidIncomeLines(ValidationFailed):
    """Income per member and kind that cannot be counted; ``errors`` names each field
    (``lines.2.amount``). The code is validation_failed's, as when the API schema refuses it."""


class MemberNotYetBorn(DomainError):
    """A member on the assessment date whose birth date lies after it: such a membership was
    possible before ``moved_in_before_birth`` and would count an unborn child in the norm."""

    code = "member_not_yet_born"
    status = 400
    title = N_("Een lid van het huishouden is op de peildatum nog niet geboren")
