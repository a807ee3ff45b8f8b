"""Python's cycle collector during a run.

A run's process holds millions of long-lived objects from its imports (Prefect, pydantic, and Great
Expectations with pandas, scipy and SQLAlchemy behind it) and allocates millions of short-lived containers
while it parses (one dict per HQ client, lists per XPM record). With the interpreter's defaults (a
collection every 700 container allocations) the parsing keeps promoting objects into the oldest generation,
and each full collection walks every imported object again, holding the GIL the chunk threads need; and the
collection the interpreter makes at exit walks them once more after the run is done.

`tuned()` leaves what exists when a run starts out of its collections (`gc.freeze`) and makes the young
generation larger; both are undone when the run ends (`gc.unfreeze`, the thresholds as they were), so a
long-lived process (a test session, a worker) frees its cycles as before. `spare_exit()` freezes everything
when the interpreter exits, after the atexit handlers, so that its last collection has nothing to walk.

Measured by `gc.callbacks` around `scr run` on the bench zones: the collector's time fell from 1.4-1.6 s
(8 full collections) to 0.7-0.8 s (3) at 100k records and from 4.0 s (12) to 1.2-1.4 s (3) at 1M; the
exit's collection, 1.7 s of a 100k run in a py-spy profile, walks nothing.
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["YOUNG", "tuned", "spare_exit"]

YOUNG = 20_000  # container allocations between collections of the young generation (the interpreter's is 700)
_registered = False


@contextmanager
def tuned(young: int = YOUNG) -> Iterator[None]:
    """Within: what exists now is left out of collections and the young generation holds `young` allocations.

    When something else froze objects already, freezing is left to it (unfreezing would undo its freeze).
    """
    before, freeze = gc.get_threshold(), gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    gc.set_threshold(young, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if freeze:
            gc.unfreeze()


def spare_exit() -> None:
    """At the interpreter's exit, after its atexit handlers, freeze everything: the last collection then walks
    nothing (the process ends; the OS takes its memory back). Registered once; only a real exit runs it."""
    global _registered
    if not _registered:
        atexit.register(gc.freeze)
        _registered = True
