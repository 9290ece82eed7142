"""Text for people, without Flask: the domain marks its Dutch messages, the faces translate.

The Dutch text is the message id in the catalogue (almerepas/translations). A domain module marks
a message with ``N_`` so that pybabel extracts it; the web and API faces translate it with
Flask-Babel when they show it, in the language of the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:
    """Mark ``message`` for translation; the face that shows it translates it."""
    return message


@dataclass(frozen=True)
class Message:
    """A Dutch message id with its parameters, to be translated and filled in by a face."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        """The Dutch text, for logs and the CLI (which speak Dutch)."""
        return self.msgid % dict(self.params) if self.params else self.msgid
