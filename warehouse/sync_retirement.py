"""The legacy sync's retirement record: tables sync_retirement, sync_drift, sync_unconnected."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl

from transforms.drift import DRIFT
from landing.schema import SYNC_LINK, B, I, S, TS

__all__ = [
    "PLAN",
    "UNCONNECTED_NOTE",
    "create_tables",
    "plan_retirement",
    "read_retired",
    "unconnected",
    "write_retirement",
]

UNCONNECTED_NOTE = "from the cutover, new clients appear in one system only"
_LINK_KEY = ["practice_id", "xpm_client_uuid", "hq_client_id"]

# One row per link found in sync_links.csv, with what this run does to it.
PLAN = pl.Schema(
    {
        "practice_id": S,
        "xpm_client_uuid": S,
        "hq_client_id": S,
        "linked_at": TS,
        "last_synced_at": TS,
        "state_before": S,  # active / paused, as sync_links.csv says
        "action": S,  # retire / already_retired / skipped_paused
        "xpm_found": B,  # the XPM side exists in xpm_clients.xml
        "hq_found": B,
        "xpm_archived": B,
        "hq_archived": B,
        "drift_fields": I,  # fields that differ between the two sides
    }
)

_DDL = {
    "sync_retirement": """
        create table if not exists sync_retirement (
            practice_id varchar not null, xpm_client_uuid varchar not null, hq_client_id varchar not null,
            linked_at timestamp, last_synced_at timestamp, retired_at timestamp not null,
            state_before varchar, as_of date, run_id varchar,
            xpm_found boolean, hq_found boolean, xpm_archived boolean, hq_archived boolean,
            drift_fields integer,
            primary key (practice_id, xpm_client_uuid, hq_client_id))""",
    "sync_drift": """
        create table if not exists sync_drift (
            practice_id varchar not null, xpm_client_uuid varchar not null, hq_client_id varchar not null,
            field varchar not null, xpm_value varchar, hq_value varchar, edited_side varchar,
            hq_updated_at timestamp, last_synced_at timestamp, state varchar, run_id varchar,
            primary key (practice_id, xpm_client_uuid, hq_client_id, field))""",
    "sync_unconnected": """
        create table if not exists sync_unconnected (
            practice_id varchar primary key, connection varchar, note varchar)""",
}


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the three retirement tables if absent."""
    for ddl in _DDL.values():
        con.execute(ddl)


def read_retired(con: duckdb.DuckDBPyConnection | None) -> pl.DataFrame:
    """Keys of links already retired (empty when there is no warehouse or no table yet)."""
    empty = pl.DataFrame(schema={k: S for k in _LINK_KEY})
    if con is None:
        return empty
    exists = con.sql(
        "select count(*) from information_schema.tables where table_name = 'sync_retirement'"
    ).fetchall()[0][0]
    if not exists:
        return empty
    return con.sql(f"select {', '.join(_LINK_KEY)} from sync_retirement").pl().cast(empty.schema)  # type: ignore[arg-type]


def plan_retirement(
    links: pl.DataFrame, sides: pl.DataFrame, drift: pl.DataFrame, retired: pl.DataFrame
) -> pl.DataFrame:
    """What to do with each link: retire the active ones not yet retired, skip the paused ones (PLAN shape)."""
    links = links.cast({k: v for k, v in SYNC_LINK.items() if k in links.columns})  # type: ignore[arg-type]
    # a link listed twice is one link: keep its first line
    links = links.sort(_LINK_KEY + ["record_no"]).unique(_LINK_KEY, keep="first", maintain_order=True)
    counts = drift.group_by(_LINK_KEY).agg(pl.len().cast(pl.Int64).alias("drift_fields"))
    done = retired.select(_LINK_KEY).unique().with_columns(pl.lit(True).alias("_done"))
    action = (
        pl.when(pl.col("state") != "active")
        .then(pl.lit("skipped_paused"))
        .when(pl.col("_done").fill_null(False))
        .then(pl.lit("already_retired"))
        .otherwise(pl.lit("retire"))
    )
    out = (
        links.join(done, on=_LINK_KEY, how="left")
        .join(sides.unique(_LINK_KEY, keep="first"), on=_LINK_KEY, how="left")
        .join(counts, on=_LINK_KEY, how="left")
        .with_columns(
            pl.col("state").alias("state_before"),
            action.alias("action"),
            pl.col("drift_fields").fill_null(0),
        )
    )
    return out.select(PLAN.names()).cast(PLAN).sort(_LINK_KEY)  # type: ignore[arg-type]


def unconnected(registry: pl.DataFrame) -> pl.DataFrame:
    """Practices that have not confirmed step one (HQ connected to XPM/Tax), with the operator's note."""
    return (
        registry.filter(pl.col("connection").fill_null("none") != "confirmed")
        .select(
            "practice_id",
            pl.col("connection").fill_null("none"),
            pl.lit(UNCONNECTED_NOTE).alias("note"),
        )
        .sort("practice_id")
    )


def write_retirement(
    con: duckdb.DuckDBPyConnection,
    plan: pl.DataFrame,
    drift: pl.DataFrame,
    unconnected_practices: pl.DataFrame,
    *,
    run_id: str,
    retired_at: datetime,
    as_of: date,
) -> dict[str, int]:
    """Record the retirement in one transaction; a link already retired keeps its first record."""
    retire = plan.filter(pl.col("action") == "retire")
    # drift is frozen when a link is retired (later edits are no longer the sync's business);
    # paused links record theirs once, the first time they are seen
    frozen = plan.filter(pl.col("action") != "already_retired").select(_LINK_KEY)
    drift_rows = drift.join(frozen, on=_LINK_KEY, how="semi").select(DRIFT.names())
    con.execute("begin transaction")
    try:
        create_tables(con)
        before = _count(con, "sync_retirement"), _count(con, "sync_drift")
        con.execute(
            """
            insert into sync_retirement by name
            select r.practice_id, r.xpm_client_uuid, r.hq_client_id, r.linked_at, r.last_synced_at,
                   $retired_at as retired_at, r.state_before, $as_of as as_of, $run_id as run_id,
                   r.xpm_found, r.hq_found, r.xpm_archived, r.hq_archived, r.drift_fields
            from retire r
            on conflict do nothing""",
            {"retired_at": retired_at, "as_of": as_of, "run_id": run_id},
        )
        con.execute(
            "insert into sync_drift by name select d.*, $run_id as run_id from drift_rows d on conflict do nothing",
            {"run_id": run_id},
        )
        # the registry is the truth for who has not connected: replace the whole list
        con.execute("delete from sync_unconnected")
        con.execute("insert into sync_unconnected by name select * from unconnected_practices")
        after = _count(con, "sync_retirement"), _count(con, "sync_drift")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return {"retired": after[0] - before[0], "drift_rows": after[1] - before[1]}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.sql(f"select count(*) from {table}").fetchall()[0][0]
