"""The one table of who may do what; docs/roles.md explains it and tests walk it."""

from __future__ import annotations

from almerepas.core.i18n import N_
from almerepas.staff.models import Role

caseworker, finance, policy = Role.caseworker, Role.finance, Role.policy
administrator, auditor = Role.administrator, Role.auditor
EVERY_ROLE = frozenset(Role)

#: Any logged-in staff member, whatever the role: the landing page, logging out.
SIGNED_IN = "signed_in"

#: permission name -> the roles that have it. An endpoint declares one name with
#: ``@require_role("households.read")``; an unknown name fails at import time.
#: The auditor only ever gets read permissions.
PERMISSIONS: dict[str, frozenset[Role]] = {
    SIGNED_IN: EVERY_ROLE,
    # Personal data of households: only the caseworker works with it; the auditor may check it.
    "households.read": frozenset({caseworker, auditor}),
    # Looking someone up by BSN is the most sensitive search: caseworkers only.
    "households.search_bsn": frozenset({caseworker}),
    "households.write": frozenset({caseworker}),
    "assessments.write": frozenset({caseworker}),
    # The one desk's import: households from the gemeente's income administration, assessed,
    # with passes and grants at once (docs/one-desk.md). A caseworker's work, done in bulk.
    "households.import": frozenset({caseworker}),
    # The list of households within an income limit, with the applicant's BSN, for the tax
    # department's remission (kwijtschelding): personal data leaves, so caseworkers only.
    "households.export_waiver": frozenset({caseworker}),
    # An access request (AVG art. 15): everything held about a household, BSN and message
    # bodies included, handed to the resident. The caseworker who handles it already sees it
    # all; the auditor checks the export's audit row, not the export (docs/privacy.md).
    "privacy.export": frozenset({caseworker}),
    "eligibility.read": frozenset({caseworker, auditor}),
    # Passes: the caseworker issues, blocks, replaces and reissues them, and checks a code at the
    # desk; the auditor checks that work.
    "passes.read": frozenset({caseworker, auditor}),
    "passes.write": frozenset({caseworker}),
    # Applications from residents (docs/one-desk.md): the caseworker's queue, its evidence and
    # the decision; the auditor checks them. Filling one in for a resident needs no permission
    # (anyone may apply); a logged-in staff member who does is recorded on it.
    "applications.read": frozenset({caseworker, auditor}),
    "applications.decide": frozenset({caseworker}),
    # A preview changes nothing: policy staff see what a rule costs, finance checks before a run.
    "grants.preview": frozenset({finance, policy, auditor}),
    # Who waits for a spent budget, by id and date, no names: policy staff decide on budgets.
    "grants.waiting_list": frozenset({policy}),
    # A grant run moves money out of a scheme's budget: finance only.
    "grants.run": frozenset({finance}),
    "schemes.read": EVERY_ROLE,
    # Schemes are configuration (design brief: administrators keep schemes, partners, keys).
    "schemes.write": frozenset({administrator}),
    "norms.write": frozenset({administrator}),
    # The gemeente's choices on eligibility: everyone may know the rules; policy staff set them.
    "policy.read": EVERY_ROLE,
    "policy.write": frozenset({policy}),
    # Linking a postcode to a district happens while registering a household.
    "postcodes.write": frozenset({caseworker}),
    # Partners, contracts, devices and offers (design brief: administrators keep partners and
    # keys); finance pays partners, policy staff weigh contracts, the auditor checks them.
    "partners.read": frozenset({administrator, finance, policy, auditor}),
    "partners.write": frozenset({administrator}),
    # Settlement (docs/settlement.md): finance prepares, a second finance user approves, pays
    # and confirms; the auditor checks the runs.
    "settlements.read": frozenset({finance, auditor}),
    "settlements.write": frozenset({finance}),
    # Outreach (docs/outreach.md): the list names residents who do not use what they have, so
    # only caseworkers see it and send its reminders.
    "outreach.read": frozenset({caseworker}),
    "outreach.send": frozenset({caseworker}),
    # Figures (docs/reports.md): counts and amounts only, small counts hidden, never a person.
    # Policy staff steer on them; finance checks spend against budgets; the auditor checks.
    "reports.read": frozenset({policy, finance, auditor}),
    # Signals (docs/reports.md): partners whose redemptions show a pattern worth a look, with
    # the evidence (redemption and scan ids, a pass number's last five digits, no names).
    # Finance pays partners and looks into them; the auditor checks.
    "signals.read": frozenset({finance, auditor}),
    "audit.read": frozenset({auditor}),
    "staff.manage": frozenset({administrator}),
}

#: Dutch role names, marked for translation; the pages show them in the request's language.
ROLE_LABELS = {
    caseworker: N_("Consulent"),
    finance: N_("Financieel medewerker"),
    policy: N_("Beleidsmedewerker"),
    administrator: N_("Beheerder"),
    auditor: N_("Auditor"),
}


def allowed(role: Role, permission: str) -> bool:
    """True when ``role`` has ``permission``; an unknown permission is a programming error."""
    return role in PERMISSIONS[permission]
