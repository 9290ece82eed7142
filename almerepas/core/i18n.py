"""Text for people, without Flask: the domain marks its Dutch messages, the faces translate.

The Dutch text is the message id in the catalogue (almerepas/translations). A domain module marks
a message with ``N_`` so that pybabel extracts it; the web and API faces translate it with
Flask-Babel when they show it, in the language of the request. A detail built from values (an
f-string) is not in the catalogue and stays Dutch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from babel.support import Translations

from almerepas.core import gemeente


def N_(message: str) -> str:
    """Mark ``message`` for translation; the face that shows it translates it."""
    return message


#: The compiled catalogues (pybabel compile; scripts/setup does it).
CATALOGUE = Path(__file__).resolve().parent.parent / "translations"


@functools.cache
def translator(language: str) -> Callable[[str], str]:
    """gettext for ``language`` outside a request: a letter speaks its household's language.
    Dutch, and a language without a catalogue, give the Dutch message id back; either way with
    the gemeente's names for its placeholders (almerepas.core.gemeente)."""
    translations = Translations.load(str(CATALOGUE), [language], domain="messages")
    return lambda message: gemeente.current().fill(translations.gettext(message), language)
