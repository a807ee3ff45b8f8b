"""Loading frames into tables: a practice's rows are replaced whole, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb
import polars as pl

from warehouse import schema

__all__ = ["replace_practices", "append", "registered", "RepeatedKey"]


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame) -> Iterator[None]:
    """Frames readable by name in SQL for the block; never masks the block's own error."""
    for name, frame in frames.items():
        con.register(name, frame.to_arrow())
    try:
        yield
    finally:
        for name in frames:
            # in a transaction that already failed DuckDB refuses even this; the error that failed it matters
            with suppress(duckdb.Error):
                con.unregister(name)


def _shaped(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame's columns in table order; a column the table does not know is a programming error, not data to drop."""
    cols = schema.columns(table)
    extra = [c for c in frame.columns if c not in cols]
    if extra:
        raise ValueError(f"{table} has no column {', '.join(extra)}: declare it in warehouse/schema.py")
    return frame.select([c for c in cols if c in frame.columns])


class RepeatedKey(ValueError):
    """A frame holds two rows of one key of a table whose key the loader keeps (schema.Table.unique)."""


def _unique(table: str, rows: pl.DataFrame) -> None:
    key = list(schema.TABLES[table].unique)
    if key and rows.height:
        repeated = rows.select(key).filter(pl.struct(key).is_duplicated())
        if repeated.height:
            first = ":".join(str(v) for v in repeated.row(0))
            raise RepeatedKey(f"{table}: {repeated.height} rows share their key ({', '.join(key)}) with another, e.g. {first}")


def replace_practices(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, practice_ids: list[str]) -> None:
    """Delete the practices' rows of `table`, then insert the frame's rows of those practices; RepeatedKey (nothing
    written) if they repeat a key the table keeps unique. The practice is part of every such key, so rows of other
    practices never meet the new ones."""
    ids = pl.DataFrame({"practice_id": sorted(set(practice_ids))}, schema={"practice_id": pl.String})
    rows = _shaped(table, frame).filter(pl.col("practice_id").is_in(ids["practice_id"].implode()))
    _unique(table, rows)
    with registered(con, _load_ids=ids, _load_rows=rows):
        con.execute(f"delete from {table} where practice_id in (select practice_id from _load_ids)")
        if rows.height:
            con.execute(f"insert into {table} by name select * from _load_rows")


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Insert the frame's rows into `table`."""
    if frame.is_empty():
        return
    with registered(con, _load_rows=_shaped(table, frame)):
        con.execute(f"insert into {table} by name select * from _load_rows")
