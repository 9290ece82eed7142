"""The `almerepas` command: one module per command group, registered on the app's CLI."""

from __future__ import annotations

from flask import Flask

from almerepas.cli import (
    applications,
    backup,
    cards,
    database,
    demo,
    grants,
    households,
    keys,
    ledger,
    letters,
    outbox,
    outreach,
    passes,
    portability,
    privacy,
    reference,
    renewals,
    reports,
    settle,
    staff,
    uploads,
)


def register_commands(app: Flask) -> None:
    """The commands live on app.cli, so `almerepas` and Flask's test runner see the same ones."""
    for group in (
        database.db,
        demo.demo,
        ledger.ledger_group,
        reference.reference,
        reference.norms_group,
        grants.grants_group,
        households.households_group,
        keys.keys_group,
        outbox.outbox_group,
        staff.staff_group,
        passes.passes_group,
        cards.cards_group,
        letters.letters_group,
        renewals.renewals_group,
        outreach.outreach_group,
        reports.reports_group,
        settle.settle_group,
        applications.applications_group,
        privacy.privacy_group,
        uploads.uploads_group,
    ):
        app.cli.add_command(group)
    app.cli.add_command(backup.backup)
    app.cli.add_command(backup.restore)
    app.cli.add_command(portability.export_command)
    app.cli.add_command(portability.import_command)
