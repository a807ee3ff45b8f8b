"""Fault injection for the crash and soak tests: kill or fail the process at a named point.

`SCR_FAULT="<point>@<n>[:raise|:ctrl-c|:sigterm|:sigterm-in-query|:ctrl-c-in-callback|:sigterm-in-callback]"` makes the n-th arrival at
`<point>` SIGKILL this process (or raise InjectedFault with `:raise`, send SIGINT to its process group as a terminal's
Ctrl-C does with `:ctrl-c`, or SIGTERM to this process alone as `kill PID` or a scheduler does with `:sigterm`, or the
same while a DuckDB statement runs with `:sigterm-in-query`: DuckDB runs the handler inside the statement, loses what it
raises and answers 'Query interrupted', which this raises; or SIGINT to this process alone while this thread runs a
weakref callback with `:ctrl-c-in-callback`: its KeyboardInterrupt is raised inside the callback, which the interpreter
hands to sys.unraisablehook and would lose; SIGTERM the same way with `:sigterm-in-callback`).
Unset, every point is a dictionary lookup and nothing else.
"""

from __future__ import annotations

import os
import signal
import time
import threading
import weakref
from typing import NoReturn

__all__ = ["point", "InjectedFault", "POINTS", "OPERATOR_POINTS", "SNAPSHOT_POINTS"]

# Where a wave can be interrupted: reading, between chunks, inside the chunk's transaction (the soak draws from these).
POINTS = (
    "run:started", "extract:practice", "chunk:computed", "chunk:staged", "chunk:promoting", "chunk:promoted",
    "chunk:before-commit", "chunk:committed", "run:checkpoint", "run:before-finish",
)  # fmt: skip

# Where the operator commands that write outside a wave can be interrupted (tests/flows/test_operator_crash.py):
# inside each one's transaction (everything written, nothing committed) and after its commit, before the analysts'
# snapshot is published; a rekey, whose steps are several transactions and files, between each of them.
OPERATOR_POINTS = (
    "rollback:before-commit", "rollback:committed",              # scr rollback [--to N|none]
    "review-apply:before-commit", "review-apply:committed",      # scr review apply FILE
    "review-revoke:withdrawn", "review-revoke:committed",        # scr review revoke
    "unmerge:promoted", "unmerge:committed",                     # scr unmerge
    "rekey:forgotten",  # the old key's hashes forgotten and the new fingerprint recorded (committed), snapshot not redone
    "rekey:purged",     # the snapshot published anew without the old key's files; the warehouse file not rewritten yet
    "rekey:rewritten",  # the warehouse file rewritten; no practice read again yet
    "rekey:reread",     # every practice read again with the new key; the rekey not recorded done yet
)  # fmt: skip

# Where the publish of the analysts' snapshot that follows every commit can be interrupted (warehouse.snapshot.publish,
# tests/flows/test_operator_crash.py): its new files written but no snapshot reading them yet; the new snapshot swapped
# in but not yet recorded in the warehouse.
SNAPSHOT_POINTS = ("snapshot:exported", "snapshot:swapped")


class InjectedFault(RuntimeError):
    """A failure injected on purpose by SCR_FAULT."""


_hits: dict[str, int] = {}
_lock = threading.Lock()


def _spec() -> tuple[str, int, str] | None:
    raw = os.environ.get("SCR_FAULT", "")
    if not raw:
        return None
    where, mode = raw, ""
    for kind in ("raise", "ctrl-c", "sigterm", "sigterm-in-query", "ctrl-c-in-callback", "sigterm-in-callback", "ctrl-c-replaced"):  # point names hold colons too ("chunk:committed@2:raise")
        if raw.endswith(":" + kind):
            where, mode = raw[: -len(kind) - 1], kind
    name, _, n = where.partition("@")
    return name, int(n or 1), mode


def point(name: str) -> None:
    """A place where the crash tests may stop the process."""
    spec = _spec()
    if spec is None or spec[0] != name:
        return
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        due = _hits[name] == spec[1]
    if not due:
        return
    if spec[2] == "raise":
        raise InjectedFault(f"fault injected at {name} (arrival {spec[1]})")
    if spec[2] == "ctrl-c":
        os.killpg(os.getpgid(0), signal.SIGINT)
        return
    if spec[2] == "ctrl-c-replaced":  # a Ctrl-C whose KeyboardInterrupt another exception replaces on its way out, as
        # Prefect's crash handling of a task run being created does ("Task run is not set")
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler raises at once
        except KeyboardInterrupt:
            raise ValueError("Task run is not set") from None
    if spec[2] == "sigterm":
        os.kill(os.getpid(), signal.SIGTERM)
        return
    if spec[2] in ("ctrl-c-in-callback", "sigterm-in-callback"):
        _in_callback(signal.SIGINT if spec[2] == "ctrl-c-in-callback" else signal.SIGTERM)
        return
    if spec[2] == "sigterm-in-query":
        _sigterm_in_query()
    os.kill(os.getpid(), signal.SIGKILL)


def _sigterm_in_query() -> NoReturn:
    """SIGTERM as it lands while a DuckDB statement runs: DuckDB runs the handler where it looks for signals, loses what
    the handler raised and answers RuntimeError('Query interrupted') (measured with DuckDB 2.0.1 on a statement ended
    by a SIGTERM from another thread; which instant it lands at is up to the scheduler, so the tests do it thus)."""
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs as the call returns, inside this try
    except BaseException:  # noqa: BLE001, S110 - what the handler raised is lost, as inside DuckDB
        pass
    raise RuntimeError("Query interrupted")


def _in_callback(signum: int) -> None:
    """`signum` to this process as it lands while this thread runs a weakref callback (importlib drops a module lock's
    through one: seen on CI, a run stopped by Ctrl-C went on and completed): what the handler raises (KeyboardInterrupt,
    Prefect's TerminationSignal) is raised inside the callback, as `os.kill` of this process checks for signals as it
    returns; the interpreter does not propagate it."""

    class _Held:
        pass

    def dropped(_ref) -> None:
        os.kill(os.getpid(), signum)

    held = _Held()
    ref = weakref.ref(held, dropped)
    del held  # the callback runs here, in this thread
    del ref
