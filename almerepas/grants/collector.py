"""What a whole-city run builds kept out of the cyclic collector's rescans, without pausing it.

A grant run or a norm import keeps tens of thousands of small objects alive until it ends (the
population, a few dozen per verdict); each full collection scanned all of them again, and the
whole process with them: about a third of a run of 30,000 persons (bench/grants.py). Turning
the collector off (``gc.disable()``, until 2026-12-01) avoided that, but for the whole process:
in a threaded gunicorn worker the other requests ran without it for the seconds of a run, and
of two overlapping runs one switched it back on under the other, or left it off.

Instead a run moves everything alive into the collector's permanent generation (``gc.freeze``)
when it starts, after reading the population and every ``EVERY`` verdicts (``settle``): the
collections then scan only what is younger, and the collector keeps running for every thread.
The last run to leave gives the objects back (``gc.unfreeze``); a count under a lock makes that
right when runs in two threads overlap. Frozen objects are still freed by their reference
counts; only cyclic garbage among them (another request's too, if it was alive at a settle)
waits until the last run has left. Nothing else in the app freezes: a ``gc.freeze()`` before
forking workers would be undone here, and would have to be counted too.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_runs = 0  #: runs inside, all threads: the last one out unfreezes
_here = threading.local()  #: runs inside in this thread (``depth``): only they settle

#: verdicts between two settles: a freeze is a constant-time list splice; a run of 30,000
#: persons settles about thirty times
EVERY = 1000


@contextmanager
def survivors_frozen(whole_city: bool = True) -> Iterator[None]:
    """Inside, ``settle`` freezes what this thread's run has built; one household's run (a web
    request: an approved application, the desk) is small and freezes nothing."""
    if not whole_city:
        yield
        return
    global _runs
    with _lock:
        _runs += 1
    _here.depth = getattr(_here, "depth", 0) + 1
    try:
        settle()  # the process's own long-lived objects (modules, mappers) first
        yield
    finally:
        _here.depth -= 1
        with _lock:
            _runs -= 1
            if _runs == 0:
                gc.unfreeze()


def settle() -> None:
    """Freeze everything alive now, when this thread is inside a whole-city run."""
    if getattr(_here, "depth", 0):
        gc.freeze()
