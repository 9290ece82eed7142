"""A validator as it runs on a bus: its state, its replay memory and its self-checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from . import formats
from .bundle import TrustRoots, ValidatorState, apply_bundle
from .busclaim import BusKeys
from .verify import KINDS, Context, Verified, verify


class ReplayCache:
    """The ``(pseudonym, step)`` pairs seen in the last few steps, in memory."""

    #: steps kept behind the newest one seen: the window plus one
    KEEP = 2 * formats.STEP_WINDOW + 1

    def __init__(self) -> None:
        self._seen: dict[int, set[str]] = {}

    def first_use(self, pseudonym: str, step: int) -> bool:
        seen = self._seen.get(step)
        if seen is None:
            seen = self._seen[step] = set()
            newest = max(self._seen)
            for old in [s for s in self._seen if s < newest - self.KEEP]:
                del self._seen[old]
        if pseudonym in seen:
            return False
        seen.add(pseudonym)
        return True


@dataclass(frozen=True)
class Scan:
    verified: Verified
    #: e.g. ``("validator_data_stale",)`` when the data is older than 48 hours
    warnings: tuple[str, ...] = ()


class Validator:
    """Holds the trust root(s), the applied bundle, the replay memory and, on a bus, the
    operator's private key(s) for the bus claim. ``scan`` refuses when the state may not decide
    (``validator_data_stale``, ``validator_clock_unsynced``) before it looks at the code."""

    def __init__(
        self,
        trust_roots: TrustRoots,
        *,
        operator_keys: Iterable[ec.EllipticCurvePrivateKey] = (),
        kinds: frozenset[str] = KINDS,
        state: ValidatorState | None = None,
    ) -> None:
        self.trust_roots = trust_roots
        self.operator_keys = tuple(operator_keys)
        self.kinds = kinds
        self.replay = ReplayCache()
        self.state = state or ValidatorState()
        self._context = self._make_context()

    def _make_context(self) -> Context:
        bus = None
        if self.operator_keys:
            services = [r.public_key for r in self.state.registry.family("bus")]
            bus = BusKeys.derive(self.operator_keys, services)
        return Context(kinds=self.kinds, min_version=self.state.min_version, bus=bus)

    def apply(self, bundle_jws: str, *, now: dt.datetime, online: bool = False) -> None:
        """Apply a bundle atomically: on a refusal nothing changes."""
        self.state = apply_bundle(self.state, bundle_jws, self.trust_roots, now=now, online=online)
        self._context = self._make_context()

    def scan(self, code: str | bytes, *, now: dt.datetime) -> Scan:
        warnings = self.state.check(now)
        verified = verify(
            code,
            registry=self.state.registry,
            now=now,
            replay=self.replay,
            revocations=self.state.revocations,
            context=self._context,
        )
        return Scan(verified, warnings)
