"""Every model, imported here so Alembic and the tests see one metadata."""

from almerepas.models.ledger import Account, AccountKind, EntryKind, JournalEntry, Transfer

__all__ = ["Account", "AccountKind", "EntryKind", "JournalEntry", "Transfer"]
