"""Every model, imported here so Alembic and the tests see one metadata."""

from almerepas.applications.models import Application, ApplicationStatus, Evidence
from almerepas.audit.models import AuditEvent
from almerepas.contracts.models import (
    Contract,
    Device,
    DeviceSession,
    Location,
    LocationKind,
    Offer,
    Partner,
    PartnerRole,
    PartnerUser,
    PartnerUserToken,
    PayoutMethod,
    TariffKind,
    contract_location,
)
from almerepas.grants.models import Grant
from almerepas.holders.models import HolderSession, LoginCode
from almerepas.households.models import (
    District,
    Household,
    MemberRole,
    Membership,
    Person,
    PostcodeDistrict,
)
from almerepas.income.models import (
    AgeBand,
    Children,
    HouseholdType,
    IncomeAssessment,
    IncomeLine,
    Norm,
    PolicySetting,
)
from almerepas.ledger.models import Account, AccountKind, EntryKind, JournalEntry, Transfer
from almerepas.letters.models import Letter, LetterChannel
from almerepas.outbox.models import Channel, Message, MessageStatus
from almerepas.outreach.models import OptOut, OutreachContact, OutreachRun
from almerepas.passes.credential_models import (
    Credential,
    CredentialKind,
    KeyFamily,
    KeyStatus,
    SigningKey,
    UsedCode,
)
from almerepas.passes.models import BlockReason, CardPrint, Pass, PassStatus
from almerepas.redemptions.models import Redemption, Reversal
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from almerepas.reports.models import (
    ReportBeneficiary,
    ReportGrantFact,
    ReportPartnerUse,
    ReportSnapshot,
)
from almerepas.schemes.models import (
    AgeRule,
    Beneficiary,
    MidPeriodEntry,
    Period,
    Scheme,
    SchemeKind,
)
from almerepas.settlements.models import (
    PayoutFile,
    SettlementHold,
    SettlementLine,
    SettlementPayment,
    SettlementRun,
    SettlementWindow,
)
from almerepas.staff.models import ApiToken, Role, StaffUser
from almerepas.uploads.models import Upload

__all__ = [
    "Account",
    "AccountKind",
    "AgeBand",
    "AgeRule",
    "ApiToken",
    "Application",
    "ApplicationStatus",
    "AuditEvent",
    "Beneficiary",
    "BlockReason",
    "CardPrint",
    "Channel",
    "Children",
    "Contract",
    "Credential",
    "CredentialKind",
    "Device",
    "DeviceSession",
    "District",
    "EntryKind",
    "Evidence",
    "Grant",
    "HolderSession",
    "Household",
    "HouseholdType",
    "IncomeAssessment",
    "IncomeLine",
    "JournalEntry",
    "KeyFamily",
    "KeyStatus",
    "Letter",
    "LetterChannel",
    "Location",
    "LocationKind",
    "LoginCode",
    "MemberRole",
    "Membership",
    "Message",
    "MessageStatus",
    "MidPeriodEntry",
    "Norm",
    "Offer",
    "OptOut",
    "OutreachContact",
    "OutreachRun",
    "Partner",
    "PartnerRole",
    "PartnerUser",
    "PartnerUserToken",
    "Pass",
    "PassStatus",
    "PayoutFile",
    "PayoutMethod",
    "Period",
    "Person",
    "PolicySetting",
    "PostcodeDistrict",
    "Redemption",
    "Reimbursement",
    "ReimbursementStatus",
    "ReportBeneficiary",
    "ReportGrantFact",
    "ReportPartnerUse",
    "ReportSnapshot",
    "Reversal",
    "Role",
    "Scheme",
    "SchemeKind",
    "SettlementHold",
    "SettlementLine",
    "SettlementPayment",
    "SettlementRun",
    "SettlementWindow",
    "SigningKey",
    "StaffUser",
    "TariffKind",
    "Transfer",
    "Upload",
    "UsedCode",
    "contract_location",
]
