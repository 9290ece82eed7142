"""Figures for policy staff: read-only queries over grants, redemptions, passes and settlements
(docs/reports.md). Counts of persons leave this package only through ``privacy``."""
