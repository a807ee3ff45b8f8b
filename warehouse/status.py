"""practice_status: one row per practice, upserted as the pipeline learns more."""

from __future__ import annotations

import duckdb
import polars as pl

DDL = """
create table if not exists practice_status (
    practice_id varchar primary key,
    status varchar not null,
    detail varchar,
    updated_at timestamp not null
)
"""


def create_status(con: duckdb.DuckDBPyConnection) -> None:
    con.sql(DDL)


def write_status(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> None:
    """Upsert practice_id, status, detail (updated_at is now)."""
    if rows.is_empty():
        return
    create_status(con)
    incoming = rows.select("practice_id", "status", "detail").unique("practice_id", keep="last")  # noqa: F841
    con.sql(
        """
        insert into practice_status
        select practice_id, status, detail, now()::timestamp from incoming
        on conflict (practice_id) do update
        set status = excluded.status, detail = excluded.detail, updated_at = excluded.updated_at
        """
    )


EMPTY = pl.Schema({"practice_id": pl.String, "status": pl.String, "detail": pl.String, "updated_at": pl.Datetime("us")})


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.sql("select 1 from duckdb_tables() where table_name = 'practice_status'").fetchall())


def read_status(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every practice's status, sorted by practice_id (empty when nothing has run; works read-only)."""
    if not _exists(con):
        return pl.DataFrame(schema=EMPTY)
    return con.sql("select * from practice_status order by practice_id").pl()
