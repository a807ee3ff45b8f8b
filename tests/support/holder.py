"""A wave at work, for tests: another process holding the warehouse's writer until the test lets it go."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["held_writer", "held_read_write"]


@contextmanager
def _held(code: str, refused: str) -> Iterator[subprocess.Popen]:
    """A process running `code` (which prints "ok" once it holds the file, then waits for stdin) for the duration."""
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok", refused
        yield holder
    finally:
        holder.kill()
        holder.wait()


def held_writer(warehouse: Path | str):
    """A process holding `warehouse.db.writer` on the file (as a wave's flow does) for the duration; yields it."""
    return _held("import sys; from warehouse.db import writer\n"
                 f"with writer({str(warehouse)!r}):\n    print('ok', flush=True); sys.stdin.readline()",
                 "the holder could not take the writer")  # fmt: skip


def held_read_write(database: Path | str):
    """Another process holding a DuckDB file open read-write, as an analyst's `duckdb FILE` or `duckdb.connect(path)`
    does by default (DuckDB's lock then keeps every other process out, read-only ones too); yields it."""
    return _held("import sys, duckdb\n"
                 f"con = duckdb.connect({str(database)!r})\nprint('ok', flush=True); sys.stdin.readline()",
                 "the holder could not open the file")  # fmt: skip
