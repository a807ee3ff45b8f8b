"""The figures of the progress report and of `scr status`, from the analysts' views: frames in, frames out.

Every function takes the rows of one or two views (warehouse.views) and returns what one chart or
one headline shows, so the report's numbers are the views' numbers, never computed another way.
"""

from __future__ import annotations

import polars as pl

from transforms.status_rules import STATUSES

__all__ = ["funnel", "headline", "progress_over_runs", "merge_outcomes", "review_load", "top_failures", "quality_summary"]

MERGE_STATUSES = ("auto", "reviewed", "review", "unique")


def funnel(progress: pl.DataFrame) -> pl.DataFrame:
    """status, practices, share: every status in the funnel's order, zeros included (migration_progress rows in)."""
    counts = progress.group_by(pl.col("status").cast(pl.String)).agg(pl.col("practices").sum().cast(pl.Int64))
    order = pl.DataFrame({"status": list(STATUSES), "order": list(range(len(STATUSES)))})
    out = order.join(counts, on="status", how="left").with_columns(pl.col("practices").fill_null(0))
    total = out["practices"].sum()
    return out.sort("order").select(
        "status", "practices", (pl.col("practices") / total if total else pl.lit(0.0)).round(4).alias("share")
    )


def headline(progress: pl.DataFrame, merges: pl.DataFrame, queue: pl.DataFrame, runs: pl.DataFrame) -> dict:
    """The figures `scr status` and the report lead with (migration_progress, merge_summary, review_queue, wave_summary in)."""
    by = dict(funnel(progress).select("status", "practices").iter_rows())
    total = sum(by.values())
    last = runs.sort("started_at", "run_id").tail(1) if runs.height else runs
    last_run = None
    if last.height:
        r = last.row(0, named=True)
        mine = runs.filter(pl.col("run_id") == r["run_id"])
        last_run = {
            "run_id": r["run_id"], "kind": r["run_kind"], "status": r["run_status"], "started_at": r["started_at"],
            "finished_at": r["finished_at"], "duration_seconds": r["duration_seconds"],
            **{c: int(mine[c].sum()) for c in ("planned", "complete", "in_review", "blocked", "failed", "records_in",
                                                 "unified_clients_out", "auto_links", "review_links")},
        }  # fmt: skip
    return {
        "practices": total,
        "by_status": by,
        "share_complete": round(by.get("complete", 0) / total, 4) if total else 0.0,
        "source_records": int(progress["source_records"].sum()) if progress.height else 0,
        "unified_clients": int(merges["unified_clients"].sum()) if merges.height else 0,
        "records_promoted": int(merges["records_promoted"].sum()) if merges.height else 0,
        "pending_links": queue.height,
        "practices_with_pending_links": queue["practice_id"].n_unique() if queue.height else 0,
        "last_run": last_run,
    }


def progress_over_runs(by_run: pl.DataFrame) -> pl.DataFrame:
    """run_no, run_id, started_at, status, practices: each run's status counts, runs numbered oldest first (progress_by_run in)."""
    runs = by_run.select("run_id", "started_at").unique().sort("started_at", "run_id").with_row_index("run_no", offset=1)
    order = pl.DataFrame({"status": list(STATUSES), "order": list(range(len(STATUSES)))})
    return (
        by_run.join(runs.select("run_id", "run_no"), on="run_id")
        .join(order, on="status", how="left")
        .sort("run_no", "order")
        .select(pl.col("run_no").cast(pl.Int64), "run_id", "started_at", "status", pl.col("practices").cast(pl.Int64))
    )


def merge_outcomes(merges: pl.DataFrame) -> pl.DataFrame:
    """merge_status, records: promoted source records by how they were merged (merge_summary in)."""
    totals = [int(merges[f"records_{m}"].sum()) if merges.height else 0 for m in MERGE_STATUSES]
    return pl.DataFrame({"merge_status": list(MERGE_STATUSES), "records": totals}, schema={"merge_status": pl.String, "records": pl.Int64})


def review_load(queue: pl.DataFrame, top: int = 20) -> pl.DataFrame:
    """practice_id, practice_name, pending_links, waiting_since: the practices with most links awaiting review (review_queue in)."""
    if queue.is_empty():
        return pl.DataFrame(schema={"practice_id": pl.String, "practice_name": pl.String, "pending_links": pl.Int64,
                                    "waiting_since": pl.Datetime("us")})  # fmt: skip
    return (
        queue.group_by("practice_id")
        .agg(pl.col("practice_name").first(), pl.len().cast(pl.Int64).alias("pending_links"), pl.col("waiting_since").min())
        .sort(["pending_links", "practice_id"], descending=[True, False])
        .head(top)
    )


def top_failures(reasons: pl.DataFrame, top: int = 10) -> pl.DataFrame:
    """reason, practices: the commonest reasons practices failed (failure_reasons in)."""
    return reasons.select("reason", pl.col("practices").cast(pl.Int64)).sort(["practices", "reason"], descending=[True, False]).head(top)


def quality_summary(failures: pl.DataFrame, top: int = 10) -> pl.DataFrame:
    """expectation, practices, unexpected_rows: the expectations blocked practices failed most (quality_failures in)."""
    named = failures.filter(pl.col("expectation").is_not_null())
    if named.is_empty():
        return pl.DataFrame(schema={"expectation": pl.String, "practices": pl.Int64, "unexpected_rows": pl.Int64})
    return (
        named.group_by("expectation")
        .agg(pl.col("practice_id").n_unique().cast(pl.Int64).alias("practices"),
             pl.col("unexpected_count").sum().cast(pl.Int64).alias("unexpected_rows"))  # fmt: skip
        .sort(["practices", "expectation"], descending=[True, False])
        .head(top)
    )
