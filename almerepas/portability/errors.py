"""Refusals of the open export and its restore (CLI only; docs/errors.md)."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class ExportFolderNotEmpty(DomainError):
    """An export goes into a new or empty folder, so no old file passes for part of it."""

    code = "export_folder_not_empty"
    status = 409
    title = N_("De map voor de export is niet leeg. Kies een nieuwe of lege map.")


class RestoreTargetNotEmpty(DomainError):
    """A restore keeps the export's ids, so it goes only into a database without data."""

    code = "restore_target_not_empty"
    status = 409
    title = N_(
        "De database heeft al gegevens. Zet een export alleen terug in een lege, gemigreerde "
        "database."
    )


class RestoreRevisionMismatch(DomainError):
    """The export's schema must be the database's, or columns would not line up."""

    code = "restore_revision_mismatch"
    status = 409
    title = N_(
        "De export hoort bij een andere versie van het databaseschema dan deze database. "
        "Migreer de database naar de versie van de export."
    )


class RestoreFileChanged(DomainError):
    """A file whose SHA-256 differs from the manifest's was changed or cut short after export."""

    code = "restore_file_changed"
    status = 400
    title = N_("Een bestand van de export is veranderd of onvolledig: niets teruggezet.")


class RestoreManifestInvalid(DomainError):
    """No readable manifest, or one that does not describe this data model."""

    code = "restore_manifest_invalid"
    status = 400
    title = N_("De export is onleesbaar of onvolledig: niets teruggezet.")
