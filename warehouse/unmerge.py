"""Unmerge: split a promoted unified client into one per source record, and never merge those records again."""

from __future__ import annotations

import itertools

import duckdb
import polars as pl

from warehouse.promote import PromotionError, create_promoted, promote_in_transaction
from warehouse.review import record_decisions

__all__ = ["unmerge"]


def _current(con: duckdb.DuckDBPyConnection, table: str, where: str, params: dict) -> pl.DataFrame:
    return con.sql(
        f"select t.* exclude (version) from {table}_version t join promotion_version p using (practice_id, version) "
        f"where p.is_current and {where} order by all",
        params=params,
    ).pl()


def unmerge(con: duckdb.DuckDBPyConnection, unified_client_id: str) -> list[str]:
    """Split a promoted unified client: a new version of its practice, reject decisions for its pairs; returns the new ids."""
    from transforms.survivorship import survive
    from warehouse.staging import read_staging

    have = con.sql("select count(*) from information_schema.tables where table_name = 'client_crosswalk_version'").fetchall()[0][0]
    if not have:
        raise PromotionError("nothing has been promoted yet")
    members = _current(con, "client_crosswalk", "t.unified_client_id = $u", {"u": unified_client_id})
    if members.is_empty():
        raise PromotionError(f"unknown unified client {unified_client_id!r}: not in any current promoted version")
    pid = members["practice_id"][0]
    if members.height < 2:
        raise PromotionError(f"unified client {unified_client_id!r} holds a single source record: nothing to split")
    crosswalk = _current(con, "client_crosswalk", "t.practice_id = $p", {"p": pid})
    strategy = _current(con, "unified_client", "t.practice_id = $p", {"p": pid})["strategy"].drop_nulls().unique().sort()
    # the split records drop out of the crosswalk: survive gives each its own deterministic id
    crosswalk = crosswalk.filter(pl.col("unified_client_id") != unified_client_id)
    strategies = pl.DataFrame({"practice_id": [pid], "strategy": [strategy[0] if len(strategy) else "combine"]})
    frames = read_staging(con, [pid])
    unified = survive(frames, crosswalk, strategies)
    keys = members.select("source", "source_client_id").sort("source", "source_client_id").rows()
    pairs = pl.DataFrame(
        [(pid, a[0], a[1], b[0], b[1], "reject") for a, b in itertools.combinations(keys, 2)],
        schema=["practice_id", "source_l", "source_client_id_l", "source_r", "source_client_id_r", "decision"],
        orient="row",
    )
    create_promoted(con)
    # the split and the decisions that keep it split commit together
    con.execute("begin transaction")
    try:
        record_decisions(con, pairs, f"unmerge:{unified_client_id}")
        promote_in_transaction(con, unified, [pid], run_id=f"unmerge:{unified_client_id}")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    split = unified.crosswalk.join(members.select("practice_id", "source", "source_client_id"),
                                   on=["practice_id", "source", "source_client_id"])
    return sorted(split["unified_client_id"].to_list())
