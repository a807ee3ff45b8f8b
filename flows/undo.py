"""Undo on the promoted record: unmerge a unified client, roll a practice back; each in one transaction."""

from __future__ import annotations

import itertools

import duckdb
import polars as pl

from flows.commit import unified_tables
from warehouse.db import transaction
from warehouse.promote import PromotionError, current_rows, promote, rollback as rollback_version, unified_members
from warehouse.review import record_decisions
from warehouse.staging import read_staging
from warehouse.status import mark_changed

__all__ = ["unmerge", "rollback"]


def unmerge(con: duckdb.DuckDBPyConnection, unified_client_id: str) -> list[str]:
    """Split a promoted unified client: a new version of its practice, reject decisions for its pairs; returns the new ids."""
    from transforms.survivorship import survive

    members = unified_members(con, unified_client_id)
    if members.is_empty():
        raise PromotionError(f"unknown unified client {unified_client_id!r}: not in any current promoted version")
    pid = members["practice_id"][0]
    if members.height < 2:
        raise PromotionError(f"unified client {unified_client_id!r} holds a single source record: nothing to split")
    # the split records drop out of the crosswalk: survive gives each its own deterministic id
    crosswalk = current_rows(con, "client_crosswalk", pid).filter(pl.col("unified_client_id") != unified_client_id)
    strategy = current_rows(con, "unified_client", pid)["strategy"].drop_nulls().unique().sort()
    strategies = pl.DataFrame({"practice_id": [pid], "strategy": [strategy[0] if len(strategy) else "combine"]})
    unified = survive(read_staging(con, [pid]), crosswalk, strategies)
    keys = members.select("source", "source_client_id").sort("source", "source_client_id").rows()
    pairs = pl.DataFrame(
        [(pid, a[0], a[1], b[0], b[1], "reject") for a, b in itertools.combinations(keys, 2)],  # the members of one client
        schema=["practice_id", "source_l", "source_client_id_l", "source_r", "source_client_id_r", "decision"],
        orient="row",
    )
    # the split and the decisions that keep it split commit together
    with transaction(con):
        record_decisions(con, pairs, f"unmerge:{unified_client_id}")
        promote(con, unified_tables(unified), [pid], run_id=f"unmerge:{unified_client_id}")
        mark_changed(con, [pid])
    split = unified.crosswalk.join(members.select("practice_id", "source", "source_client_id"), on=["practice_id", "source", "source_client_id"])
    return sorted(split["unified_client_id"].to_list())


def rollback(con: duckdb.DuckDBPyConnection, practice_id: str) -> int:
    """Make the practice's previous version current again; returns it."""
    with transaction(con):
        version = rollback_version(con, practice_id)
        mark_changed(con, [practice_id])
    return version
