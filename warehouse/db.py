"""Opening the warehouse: one writer process; a clear message when another holds the file."""

from __future__ import annotations

from pathlib import Path

import duckdb


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse file."""


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; raise WarehouseBusy naming the file if another process holds it."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy(
                f"warehouse {path} is in use by another process (a wave or rerun is running); "
                "try again when it finishes, or query the analysts' snapshot"
            ) from exc
        raise
