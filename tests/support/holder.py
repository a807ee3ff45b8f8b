"""A wave at work, for tests: another process holding the warehouse's writer until the test lets it go."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["held_writer"]


@contextmanager
def held_writer(warehouse: Path | str) -> Iterator[subprocess.Popen]:
    """A process holding `warehouse.db.writer` on the file (as a wave's flow does) for the duration; yields it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from warehouse.db import writer\n"
         f"with writer({str(warehouse)!r}):\n    print('ok', flush=True); sys.stdin.readline()"],
        stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ok", "the holder could not take the writer"
        yield holder
    finally:
        holder.kill()
        holder.wait()
