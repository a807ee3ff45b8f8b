"""What a run records beside the data: quality results per practice and expectation, one row per run."""

from __future__ import annotations

import json

import duckdb
import polars as pl

from warehouse.load import registered

__all__ = ["write_gate_results", "write_run_practices", "start_run", "finish_run", "fail_run", "read_runs", "unfinished_runs"]


def write_gate_results(con: duckdb.DuckDBPyConnection, results: pl.DataFrame, run_id: str) -> None:
    """Keep the full validation results (one row per practice and expectation), replacing this run's earlier rows."""
    if results is None or results.is_empty():
        return
    rows = results.select(
        pl.lit(run_id).alias("run_id"),
        pl.col("practice_id").cast(pl.String),
        pl.col("suite").cast(pl.String),
        pl.col("expectation").cast(pl.String),
        pl.col("success").cast(pl.Boolean),
        pl.col("unexpected_count").cast(pl.Int64),
        pl.col("result_json").cast(pl.String).alias("result"),
    )
    with registered(con, _gate_rows=rows):
        con.execute(
            "delete from quality_result where run_id = $r and practice_id in (select practice_id from _gate_rows)", {"r": run_id}
        )
        con.execute(
            "insert into quality_result by name "
            "select * replace (result::json as result), timezone('UTC', now()) as checked_at from _gate_rows"
        )


def write_run_practices(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, run_id: str) -> None:
    """Per practice a run took: records, clusters, links and the status it left (one row per run and practice)."""
    if rows.is_empty():
        return
    with registered(con, _run_rows=rows.with_columns(run_id=pl.lit(run_id, pl.String))):
        con.execute(
            "insert or replace into run_practice by name select *, timezone('UTC', now()) as written_at from _run_rows"
        )


# what a run's summary holds from its start, kept when it finishes: its parameters, and the rows of practices.json that
# name no practice (one line each, landing.registry.unnamed_rows), which no practice's status says
_FROM_START = ("parameters", "unnamed_rows")


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, kind: str, parameters: dict, unnamed_rows: list[str] | None = None) -> None:
    """A run row, status running, as the run starts.

    Only the writer starts a run, so a run still `running` here died without finishing: it is marked interrupted.
    """
    con.execute("update pipeline_run set status = 'interrupted' where status = 'running'")
    summary = {"parameters": parameters, **({"unnamed_rows": unnamed_rows} if unnamed_rows else {})}
    con.execute(
        "insert into pipeline_run (run_id, kind, started_at, status, summary) values (?, ?, timezone('UTC', now()), 'running', ?)",
        [run_id, kind, json.dumps(summary, sort_keys=True)],
    )


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, summary: dict, invariants: dict) -> None:
    """The run's outcome, summary and the invariants checked at its end; what it started with stays in it (_FROM_START)."""
    rows = con.sql("select summary from pipeline_run where run_id = $r", params={"r": run_id}).fetchall()
    started = json.loads(rows[0][0] or "{}") if rows else {}
    summary = {**{k: started[k] for k in _FROM_START if k in started}, **summary}
    con.execute(
        "update pipeline_run set finished_at = timezone('UTC', now()), status = ?, summary = ?, invariants = ? where run_id = ?",
        [status, json.dumps(summary, sort_keys=True), json.dumps(invariants, sort_keys=True), run_id],
    )


def fail_run(con: duckdb.DuckDBPyConnection, run_id: str, error: str) -> bool:
    """A run that stopped on an error (its chunks committed so far stand): failed, the error in its summary.
    False when the run is not recorded as running (never started, or already finished)."""
    rows = con.sql("select summary from pipeline_run where run_id = $r and status = 'running'", params={"r": run_id}).fetchall()
    if not rows:
        return False
    summary = {**json.loads(rows[0][0] or "{}"), "error": error}
    con.execute(
        "update pipeline_run set finished_at = timezone('UTC', now()), status = 'failed', summary = ? where run_id = ?",
        [json.dumps(summary, sort_keys=True), run_id],
    )
    return True


def read_runs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every run, oldest first."""
    return con.sql("select * from pipeline_run order by started_at, run_id").pl()


def unfinished_runs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Runs recorded as running (run_id, kind, started_at), oldest first: with no writer holding the warehouse,
    runs whose process ended without finishing them (the next run marks them interrupted)."""
    return con.sql("select run_id, kind, started_at from pipeline_run where status = 'running' order by started_at, run_id").pl()
