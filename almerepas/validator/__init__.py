"""The offline validation kit: verify pass codes from a cached, signed key and revocation bundle.

No Flask, no database and nothing else of Almerepas (an import-linter contract holds it to that):
it runs on a bus validator with Python, ``cryptography`` and ``pyjwt``. The service uses the same
:func:`verify` online, with a registry, a replay guard and revocations read from its database
(``almerepas.passes.verify``). docs/credentials.md describes the formats and every refusal code.
"""

from .bundle import ValidatorState, apply_bundle, empty_state
from .busclaim import BusKeys
from .offline import ReplayCache, Validator
from .refusals import Refusal
from .registry import KeyRecord, KeyRegistry
from .verify import Context, Verified, verify

__all__ = [
    "BusKeys",
    "Context",
    "KeyRecord",
    "KeyRegistry",
    "Refusal",
    "ReplayCache",
    "Validator",
    "ValidatorState",
    "Verified",
    "apply_bundle",
    "empty_state",
    "verify",
]
