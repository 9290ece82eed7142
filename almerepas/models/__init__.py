"""Every model, imported here so Alembic and the tests see one metadata."""

from almerepas.models.audit import AuditEvent
from almerepas.models.income import AgeBand, Children, HouseholdType, IncomeAssessment, Norm
from almerepas.models.ledger import Account, AccountKind, EntryKind, JournalEntry, Transfer
from almerepas.models.people import (
    District,
    Household,
    MemberRole,
    Membership,
    Person,
    PostcodeDistrict,
)
from almerepas.models.schemes import (
    Beneficiary,
    Grant,
    MidPeriodEntry,
    Period,
    Scheme,
    SchemeKind,
)
from almerepas.models.staff import ApiToken, Role, StaffUser

__all__ = [
    "Account",
    "AccountKind",
    "AgeBand",
    "ApiToken",
    "AuditEvent",
    "Beneficiary",
    "Children",
    "District",
    "EntryKind",
    "Grant",
    "Household",
    "HouseholdType",
    "IncomeAssessment",
    "JournalEntry",
    "MemberRole",
    "Membership",
    "MidPeriodEntry",
    "Norm",
    "Period",
    "Person",
    "PostcodeDistrict",
    "Role",
    "Scheme",
    "SchemeKind",
    "StaffUser",
    "Transfer",
]
