"""An encrypted DuckDB database, as another tool makes one: a file in the warehouse's place this project cannot open."""

from __future__ import annotations

from pathlib import Path

import duckdb


def encrypted(path: Path | str, rows: int = 1000) -> None:
    """An encrypted DuckDB database at `path` holding one table of `rows` rows."""
    con = duckdb.connect()
    try:
        con.execute("set force_mbedtls_unsafe='true'")
    except duckdb.Error:
        pass  # a DuckDB that needs no such setting
    con.execute(f"attach '{path}' as x (ENCRYPTION_KEY 'another tool''s key')")
    con.execute(f"create table x.t as select range a from range({rows})")
    con.close()
