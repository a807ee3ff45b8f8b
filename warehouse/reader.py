"""Reading the analysts' snapshot: a read-only connection, what it was published from, the views as frames."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from warehouse.snapshot import snapshot_path
from warehouse.views import VIEWS

__all__ = ["SnapshotMissing", "open_snapshot", "snapshot_info", "read_views", "practice_statuses", "latest_run"]


class SnapshotMissing(FileNotFoundError):
    """No snapshot has been published for this warehouse yet."""


def open_snapshot(warehouse: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse's current snapshot; it keeps that version until closed."""
    path = snapshot_path(warehouse)
    if not path.exists():
        raise SnapshotMissing(
            f"no warehouse at {warehouse}: run `scr run` first" if not Path(warehouse).exists()
            else f"no analysts' snapshot for {warehouse} yet: `scr snapshot --warehouse {warehouse}` publishes one (so does the next run)"
        )  # fmt: skip
    # attached to a fresh in-memory database: duckdb.connect(path) would hand back the instance this process
    # already holds for that path, the snapshot as it was when first opened
    con = duckdb.connect(":memory:")
    con.execute(f"attach '{str(path).replace(chr(39), chr(39) * 2)}' as snapshot (read_only)")
    con.execute("use snapshot")
    return con


def snapshot_info(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """generation, published_at, warehouse: what this snapshot was published from."""
    return dict(con.sql("select key, value from snapshot_info").fetchall())


_TYPES = {"VARCHAR": pl.String, "BIGINT": pl.Int64, "INTEGER": pl.Int32, "DOUBLE": pl.Float64, "BOOLEAN": pl.Boolean,
          "TIMESTAMP": pl.Datetime("us"), "DATE": pl.Date, "VARCHAR[]": pl.List(pl.String)}  # fmt: skip


def _frame(rel: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A small result as a frame through Python rows: `.pl()` would import pyarrow (a sixth of `scr status`'s start)."""
    types = [_TYPES.get(str(t)) for t in rel.types]
    if None in types:  # a type the views do not use today: the general path
        return rel.pl()
    return pl.DataFrame(rel.fetchall(), schema=dict(zip(rel.columns, types)), orient="row")


def read_views(con: duckdb.DuckDBPyConnection, names: list[str] | None = None) -> dict[str, pl.DataFrame]:
    """The analysts' views (all, or the named ones) as frames, in each view's own order."""
    return {name: _frame(con.sql(f"select * from {name}")) for name in (names or list(VIEWS))}


def practice_statuses(con: duckdb.DuckDBPyConnection, practice_ids: list[str] | None = None) -> pl.DataFrame:
    """practice_id, status, detail of every practice (or the named ones), by practice_id."""
    rows = _frame(con.sql("select practice_id, status, detail from practice_status order by practice_id"))
    return rows.filter(pl.col("practice_id").is_in(practice_ids)) if practice_ids else rows


def latest_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The latest run on record (run_id, kind, status, started_at, finished_at, error), whether or not it took a
    practice: wave_summary only has runs that did; a run that failed before its first chunk is only here."""
    rel = con.sql(
        "select run_id, kind, status, started_at, finished_at, json_extract_string(summary, '$.error') as error "
        "from pipeline_run order by started_at desc, run_id desc limit 1"
    )
    rows = rel.fetchall()
    return dict(zip(rel.columns, rows[0])) if rows else None
