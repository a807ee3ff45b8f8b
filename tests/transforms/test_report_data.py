"""The report's figures from the views' rows: tiny frames in, exact frames out."""

from datetime import datetime

import polars as pl

from transforms import report_data as rd
from transforms.status_rules import STATUSES


def progress(rows):
    return pl.DataFrame(rows, schema=["region", "wave", "status", "practices", "source_records"], orient="row")


def test_funnel_has_every_status_in_order_with_zeros():
    f = rd.funnel(progress([("AU", 1, "complete", 3, 30), ("NZ", 1, "complete", 1, 5), ("AU", 2, "failed", 4, 0)]))
    assert f["status"].to_list() == list(STATUSES)
    assert dict(f.select("status", "practices").iter_rows()) == {s: {"complete": 4, "failed": 4}.get(s, 0) for s in STATUSES}
    assert f.filter(pl.col("status") == "complete")["share"].item() == 0.5


def test_funnel_and_headline_of_an_empty_warehouse():
    empty = progress([])
    assert rd.funnel(empty)["practices"].sum() == 0 and rd.funnel(empty)["share"].sum() == 0
    merges = pl.DataFrame(schema={"unified_clients": pl.Int64, "records_promoted": pl.Int64})
    queue = pl.DataFrame(schema={"practice_id": pl.String})
    runs = pl.DataFrame(schema={"run_id": pl.String, "started_at": pl.Datetime("us")})
    head = rd.headline(empty, merges, queue, runs)
    assert head["practices"] == 0 and head["share_complete"] == 0.0 and head["last_run"] is None and head["pending_links"] == 0


def test_progress_over_runs_numbers_runs_oldest_first():
    by_run = pl.DataFrame(
        [("r2", datetime(2024, 1, 2), "complete", 2), ("r1", datetime(2024, 1, 1), "complete", 1),
         ("r1", datetime(2024, 1, 1), "connect", 3)],
        schema=["run_id", "started_at", "status", "practices"], orient="row",
    )  # fmt: skip
    out = rd.progress_over_runs(by_run)
    assert out.select("run_no", "run_id", "status", "practices").rows() == [(1, "r1", "connect", 3), (1, "r1", "complete", 1),
                                                                            (2, "r2", "complete", 2)]  # fmt: skip


def test_review_load_counts_pending_links_per_practice_most_first():
    queue = pl.DataFrame(
        {"practice_id": ["P2", "P1", "P1", "P3"], "practice_name": ["b", "a", "a", "c"],
         "waiting_since": [datetime(2024, 1, 3), datetime(2024, 1, 1), datetime(2024, 1, 1), datetime(2024, 1, 2)]}
    )  # fmt: skip
    assert rd.review_load(queue, top=2).select("practice_id", "pending_links").rows() == [("P1", 2), ("P2", 1)]


def test_quality_summary_counts_practices_per_expectation():
    failures = pl.DataFrame(
        {"practice_id": ["B1", "B2", "B2", "B3"], "expectation": ["unique_ids", "unique_ids", "names", None],
         "unexpected_count": [2, 3, 1, None]}
    )  # fmt: skip
    assert rd.quality_summary(failures).rows() == [("unique_ids", 2, 5), ("names", 1, 1)]


def test_merge_outcomes_in_fixed_order():
    merges = pl.DataFrame({"records_auto": [3, 1], "records_reviewed": [0, 2], "records_review": [0, 0], "records_unique": [5, 0]})
    assert rd.merge_outcomes(merges).rows() == [("auto", 4), ("reviewed", 2), ("review", 0), ("unique", 5)]
