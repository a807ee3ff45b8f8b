"""Writes one chunk's results and the run record: called only from the flow process (single writer)."""

from __future__ import annotations

import json
import logging

import duckdb
import polars as pl

from warehouse.status import write_status

log = logging.getLogger("scr.warehouse")

RUN_DDL = """
create table if not exists pipeline_run (
    run_id varchar primary key,
    finished_at timestamp not null,
    summary json
)
"""

GATE_DDL = """
create table if not exists quality_result (
    run_id varchar,
    practice_id varchar,
    suite varchar,
    expectation varchar,
    success boolean,
    unexpected_count bigint,
    result json,
    checked_at timestamp
)
"""


def write_chunk(con: duckdb.DuckDBPyConnection, result, run_id: str) -> None:
    """Staging, proposals, promotion, gate results and statuses of one chunk, in pipeline order.

    A practice whose write fails is marked failed with the error; the other practices still land.
    """
    from warehouse.staging import load_staging

    failed = dict(result.failed)
    good = [p for p in result.practice_ids if p not in failed]
    statuses = result.status
    try:
        load_staging(con, result.frames, good)
        if result.match is not None:
            from warehouse.matches import write_match_results

            matched = result.match.crosswalk["practice_id"].unique().sort().to_list()
            write_match_results(con, result.match, matched)
        if result.gate is not None:
            write_gate_results(con, result.gate.results, run_id)
        if result.unified is not None and result.gate is not None and result.gate.passed:
            from warehouse.promote import promote

            promote(con, result.unified, sorted(result.gate.passed), run_id)
        if result.gate is not None and result.gate.blocked:
            from warehouse.promote import refresh_crosswalk

            # a blocked practice keeps what it had promoted: put its promoted crosswalk back over the proposals
            refresh_crosswalk(con, sorted(result.gate.blocked))
    except Exception as exc:  # noqa: BLE001 - the chunk's practices fail, the wave goes on
        log.exception("writing chunk failed")
        statuses = pl.DataFrame(
            {"practice_id": good, "status": ["failed"] * len(good), "detail": [f"warehouse write failed: {exc!r}"] * len(good)}
        ).vstack(statuses.filter(pl.col("status") == "failed"))
    write_status(con, statuses)


def write_gate_results(con: duckdb.DuckDBPyConnection, results: pl.DataFrame, run_id: str) -> None:
    """Keep the full validation results (one row per practice and expectation)."""
    con.sql(GATE_DDL)
    if results is None or results.is_empty():
        return
    rows = results.select(  # noqa: F841
        pl.lit(run_id).alias("run_id"),
        pl.col("practice_id").cast(pl.String),
        pl.col("suite").cast(pl.String),
        pl.col("expectation").cast(pl.String),
        pl.col("success").cast(pl.Boolean),
        pl.col("unexpected_count").cast(pl.Int64),
        pl.col("result_json").cast(pl.String),
    )
    con.sql(
        "insert into quality_result select run_id, practice_id, suite, expectation, success, unexpected_count, "
        "result_json::json, now()::timestamp from rows"
    )


def record_run(con: duckdb.DuckDBPyConnection, run_id: str, summary: dict) -> None:
    """One row per run with its summary."""
    con.sql(RUN_DDL)
    con.execute("insert into pipeline_run values (?, now()::timestamp, ?)", [run_id, json.dumps(summary)])
