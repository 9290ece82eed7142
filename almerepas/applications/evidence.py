"""Evidence uploads: checked by their content, stored in the database under a random id.

A file is a PDF only when it starts with ``%PDF-`` and pypdf can open it, and an image only when
Pillow opens and verifies it as JPEG or PNG; its name and the browser's content type are never
trusted. The bytes go in table ``upload`` (almerepas/uploads/store.py) under a random id, so
every app server serves them; the row here keeps the checked type and the SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io

from PIL import Image
from pypdf import PdfReader
from sqlalchemy.orm import Session

from almerepas.applications.models import Application, Evidence
from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.i18n import N_
from almerepas.uploads import store

#: the evidence a resident may add to one application
MAX_FILES = 10
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class Refused(Exception):
    """An upload that is not taken; ``message`` says why, for the resident (marked N_)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def content_type(data: bytes) -> str | None:
    """What the bytes really are: application/pdf, image/jpeg, image/png, or None."""
    if data.startswith(b"%PDF-"):
        try:
            reader = PdfReader(io.BytesIO(data))
            if len(reader.pages) > 0:
                return "application/pdf"
        except Exception:
            return None
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except Exception:
        return None
    return IMAGE_TYPES.get(kind or "")


def add(
    session: Session,
    application: Application,
    data: bytes,
    *,
    max_bytes: int,
    now: dt.datetime,
    actor: Actor,
) -> Evidence:
    """Check and store one upload; :raises Refused: empty, too large, not a PDF or photo."""
    if not data:
        raise Refused(N_("Kies een bestand om toe te voegen."))
    if len(data) > max_bytes:
        raise Refused(N_("Dit bestand is te groot. Een bestand mag hoogstens %(mb)s MB zijn."))
    if len([e for e in application.evidence if e.deleted_at is None]) >= MAX_FILES:
        raise Refused(N_("U kunt hoogstens 10 bestanden toevoegen."))
    kind = content_type(data)
    if kind is None:
        raise Refused(
            N_("Dit bestand is geen PDF en geen foto (JPG of PNG). Kies een ander bestand.")
        )
    file_id = store.save(session, data, now=now)
    evidence = Evidence(
        application=application,
        file_id=file_id,
        content_type=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_at=now,
    )
    session.add(evidence)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="application.evidence_add",
        entity_type="application",
        entity_id=application.id,
        changes={"evidence": [None, {"id": evidence.id, "type": kind, "sha256": evidence.sha256}]},
    )
    return evidence


def read(session: Session, evidence: Evidence) -> bytes:
    """The stored bytes, checked against the SHA-256 recorded at upload."""
    data = store.read(session, evidence.file_id)
    if hashlib.sha256(data).hexdigest() != evidence.sha256:
        raise ValueError(f"evidence {evidence.id} does not match its sha256")
    return data


def remove(session: Session, evidence: Evidence, *, now: dt.datetime) -> None:
    """Delete the file's bytes; the row stays (with its hash) as the record that it was there."""
    store.delete(session, [evidence.file_id])
    evidence.deleted_at = now


def download_name(evidence: Evidence) -> str:
    return f"bewijs-{evidence.application_id}-{evidence.id}.{EXTENSIONS[evidence.content_type]}"
