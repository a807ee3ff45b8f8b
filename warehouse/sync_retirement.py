"""The legacy sync's retirement record: tables sync_retirement, sync_drift, sync_unconnected."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl

from warehouse.schema import has_table

__all__ = ["read_retired", "write_retirement"]

_LINK_KEY = ["practice_id", "xpm_client_uuid", "hq_client_id"]


def read_retired(con: duckdb.DuckDBPyConnection | None) -> pl.DataFrame:
    """Keys of links already retired (empty when there is no warehouse yet)."""
    empty = pl.DataFrame(schema={k: pl.String for k in _LINK_KEY})
    if con is None or not has_table(con, "sync_retirement"):
        return empty
    return con.sql(f"select {', '.join(_LINK_KEY)} from sync_retirement").pl().cast(empty.schema)  # type: ignore[arg-type]


def write_retirement(
    con: duckdb.DuckDBPyConnection,
    plan: pl.DataFrame,
    drift: pl.DataFrame,
    unconnected_practices: pl.DataFrame,
    *,
    run_id: str,
    retired_at: datetime,
    as_of: date,
    retired_by: str | None = None,
) -> dict[str, int]:
    """Record the retirement (inside the caller's transaction): who and when with each link; a link already retired
    keeps its first record."""
    retire = plan.filter(pl.col("action") == "retire")  # noqa: F841  (read by name in SQL)
    # drift is frozen when a link is retired (later edits are no longer the sync's business);
    # paused links record theirs once, the first time they are seen
    frozen = plan.filter(pl.col("action") != "already_retired").select(_LINK_KEY)
    drift_rows = drift.join(frozen, on=_LINK_KEY, how="semi")  # noqa: F841
    before = _count(con, "sync_retirement"), _count(con, "sync_drift")
    con.execute(
        """
        insert into sync_retirement by name
        select r.practice_id, r.xpm_client_uuid, r.hq_client_id, r.linked_at, r.last_synced_at,
               $retired_at as retired_at, r.state_before, $as_of as as_of, $run_id as run_id,
               r.xpm_found, r.hq_found, r.xpm_archived, r.hq_archived, r.drift_fields, $retired_by as retired_by
        from retire r
        on conflict do nothing""",
        {"retired_at": retired_at, "as_of": as_of, "run_id": run_id, "retired_by": retired_by},
    )
    con.execute("insert into sync_drift by name select d.*, $run_id as run_id from drift_rows d on conflict do nothing", {"run_id": run_id})
    # the registry is the truth for who has not connected: replace the whole list
    con.execute("delete from sync_unconnected")
    con.execute("insert into sync_unconnected by name select * from unconnected_practices")
    after = _count(con, "sync_retirement"), _count(con, "sync_drift")
    return {"retired": after[0] - before[0], "drift_rows": after[1] - before[1]}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.sql(f"select count(*) from {table}").fetchall()[0][0]
