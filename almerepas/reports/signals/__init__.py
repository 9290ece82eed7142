"""Signals for finance: partners whose redemptions show a pattern worth a look (docs/reports.md).

Four read-only queries over a period of local days. Each returns the evidence (partner,
location, day, counts, amounts in cents, the partner's usual level, redemption and scan ids, a
pass number masked) and no verdict: a person looks and decides. No holder's name, BSN or address
leaves here. Days are days on the local clock (``reports.days``).
"""

from almerepas.reports.signals.budgets import expiry_spikes, unusual_days, whole_budgets
from almerepas.reports.signals.evidence import (
    MAX_DAYS,
    ExpirySpike,
    Thresholds,
    TwoPlaces,
    UnusualDay,
    Use,
    WholeBudgetDay,
    from_settings,
    mask_pass_number,
)
from almerepas.reports.signals.places import two_places

__all__ = [
    "MAX_DAYS",
    "ExpirySpike",
    "Thresholds",
    "TwoPlaces",
    "UnusualDay",
    "Use",
    "WholeBudgetDay",
    "expiry_spikes",
    "from_settings",
    "mask_pass_number",
    "two_places",
    "unusual_days",
    "whole_budgets",
]
