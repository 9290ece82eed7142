"""What the pass-code tests share: a session with the reference data and the signing keys."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from almerepas.passes import keys as signing
from tests.factories import KEYS, TEST_ACTOR
from tests.fixtures import START


@pytest.fixture
def keyed(reference: Session) -> Session:
    """``reference`` plus one signing key of every family, made at START."""
    signing.ensure_keys(reference, keys=KEYS, actor=TEST_ACTOR, now=START)
    return reference
