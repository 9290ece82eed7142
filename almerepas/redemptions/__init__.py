"""Redemptions on the ledger: take from a grant, give back (all or part), and how both meet
an expiry run. The partner-facing scan and redeem come later (docs/redemption.md)."""
