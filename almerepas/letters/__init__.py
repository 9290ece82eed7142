"""Letters to a household about a decision: in its own channel (e-mail, or paper in the print
batch) and its own language, from texts in the i18n catalogue (docs/letters.md)."""
