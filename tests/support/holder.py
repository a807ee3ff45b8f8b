"""A wave at work, for tests: another process holding the warehouse's writer until the test lets it go."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["held_writer", "held_read_write"]


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


@contextmanager
def held_read_write(database: Path | str) -> Iterator[subprocess.Popen]:
    """Another process holding a DuckDB file open read-write, as an analyst's `duckdb FILE` or `duckdb.connect(path)`
    does by default (DuckDB's lock then keeps every other process out, read-only ones too); yields it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb\n"
         f"con = duckdb.connect({str(database)!r})\nprint('ok', flush=True); sys.stdin.readline()"],
        stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ok", "the holder could not open the file"
        yield holder
    finally:
        holder.kill()
        holder.wait()
