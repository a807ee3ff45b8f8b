"""DuckDB staging tables stg_*: created from landing.schema.STAGING, replaced per practice in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import polars as pl

from landing import schema
from landing.frames import Frames

# uniqueness the loader relies on; other tables are child rows without a natural key
KEYS = {"practice": ["practice_id"], "client": ["practice_id", "source", "source_client_id"]}


def duckdb_type(dtype: pl.DataType) -> str:
    """The DuckDB column type for a Polars dtype of the staging schemas."""
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP"
    base = dtype.base_type()
    types = {pl.String: "VARCHAR", pl.Boolean: "BOOLEAN", pl.Date: "DATE", pl.Int64: "BIGINT", pl.Float64: "DOUBLE"}
    if base not in types:
        raise TypeError(f"no DuckDB type for {dtype}")
    return types[base]


def create_sql(name: str) -> str:
    """CREATE TABLE IF NOT EXISTS for stg_<name>."""
    cols = [f"{c} {duckdb_type(t)}" for c, t in schema.STAGING[name].items()]
    if name in KEYS:
        cols.append(f"PRIMARY KEY ({', '.join(KEYS[name])})")
    return f"CREATE TABLE IF NOT EXISTS stg_{name} ({', '.join(cols)})"


def create_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Create every stg_* table (idempotent)."""
    for name in schema.STAGING:
        con.execute(create_sql(name))


def _in_list(practice_ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"practice_id": sorted(set(practice_ids))}, schema={"practice_id": pl.String})


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction; the caller must not have one open (DuckDB has no nested transactions)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _replace(con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame], practice_ids: list[str]) -> None:
    ids = _in_list(practice_ids)  # noqa: F841  (read by name in SQL)
    with transaction(con):
        for name, frame in tables.items():
            shape = schema.STAGING[name]
            df = frame.select(shape.names()).cast(shape)  # noqa: F841  (read by name in SQL)
            con.execute(f"DELETE FROM stg_{name} WHERE practice_id IN (SELECT practice_id FROM ids)")
            con.execute(f"INSERT INTO stg_{name} BY NAME SELECT * FROM df WHERE practice_id IN (SELECT practice_id FROM ids)")


def load_staging(con: duckdb.DuckDBPyConnection, frames: Frames, practice_ids: list[str]) -> None:
    """Replace the named practices' rows in every stg_* table (except stg_practice) in one transaction."""
    create_staging(con)
    _replace(con, {n: getattr(frames, n) for n in Frames.names()}, practice_ids)


def load_practices(con: duckdb.DuckDBPyConnection, registry: pl.DataFrame) -> None:
    """Replace stg_practice with the registry (PRACTICE shape), in one transaction."""
    create_staging(con)
    df = registry.select(schema.PRACTICE.names()).cast(schema.PRACTICE)  # noqa: F841  (read by name in SQL)
    with transaction(con):
        con.execute("DELETE FROM stg_practice")
        con.execute("INSERT INTO stg_practice BY NAME SELECT * FROM df")


def _read(con: duckdb.DuckDBPyConnection, name: str, practice_ids: list[str] | None) -> pl.DataFrame:
    shape = schema.STAGING[name]
    cols = ", ".join(shape.names())
    if practice_ids is None:
        out = con.sql(f"SELECT {cols} FROM stg_{name} ORDER BY ALL")
    else:
        ids = _in_list(practice_ids)  # noqa: F841
        out = con.sql(f"SELECT {cols} FROM stg_{name} WHERE practice_id IN (SELECT practice_id FROM ids) ORDER BY ALL")
    return out.pl().cast(shape)


def read_staging(con: duckdb.DuckDBPyConnection, practice_ids: list[str] | None = None) -> Frames:
    """The staged frames of the named practices (all when None), each sorted by its key then every column."""
    create_staging(con)
    return Frames(**{n: _read(con, n, practice_ids) for n in Frames.names()})


def read_practices(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """stg_practice in PRACTICE shape, sorted by practice_id."""
    create_staging(con)
    return _read(con, "practice", None)
