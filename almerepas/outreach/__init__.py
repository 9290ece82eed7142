"""Outreach: reminders to residents who do not use what they have (docs/outreach.md)."""
