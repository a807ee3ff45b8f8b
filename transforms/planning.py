"""Wave planning: which practices a run takes, and how they are cut into chunks."""

from __future__ import annotations

import polars as pl

from transforms.status_rules import step_one


def eligible(practices: pl.DataFrame, status: pl.DataFrame) -> pl.DataFrame:
    """Practices whose step one is done (confirmed by the Master Admin) and that are not complete."""
    done = step_one(practices).filter(pl.col("status").is_null()).select("practice_id")
    complete = status.filter(pl.col("status") == "complete").select("practice_id")
    return practices.join(done, on="practice_id", how="semi").join(complete, on="practice_id", how="anti")


def model_sample(practices: pl.DataFrame, sizes: pl.DataFrame, count: int, max_records: int) -> pl.DataFrame:
    """The practices the match model is fitted on: the first `count` by id, leaving out practices estimated
    above `max_records` (`sizes`: practice_id, records) while there are enough others.

    A practice of tens of thousands of clients would otherwise make most of the sample, and of the fit's
    time, on its own (the first 300 practices of the 1M bench zone: 71% of their records in three
    practices); it is matched with the model like any other. Depends only on the practices and their sizes.
    """
    large = pl.col("records").fill_null(0) > max_records
    ranked = practices.join(sizes.select("practice_id", "records"), on="practice_id", how="left")
    return ranked.sort(large, "practice_id").head(count).drop("records").sort("practice_id")


def unplanned_wave(registry: pl.DataFrame, wave: int | None, where: str) -> str | None:
    """Why `wave` cannot be run, or None when it can (or none was asked for): no practice of the registry
    (`where`, the practices.json it came from) is planned in that wave, a mistyped number as an unknown
    practice is. One check for `scr wave --wave N` (exit 2 before Prefect starts) and for the flow itself
    (a deployment's `wave` parameter), which otherwise ran an empty wave and reported success."""
    if wave is None:
        return None
    planned = sorted(registry["wave"].drop_nulls().unique().to_list())
    if wave in planned:
        return None
    waves = "its waves: " + ", ".join(map(str, planned)) if planned else "it plans no wave"
    return f"unknown wave {wave}: not in {where} ({waves})"


def plan_wave(
    practices: pl.DataFrame,
    status: pl.DataFrame,
    sizes: pl.DataFrame,
    wave: int | None = None,
    record_budget: int | None = None,
) -> pl.DataFrame:
    """The eligible practices of one wave.

    With `wave`, that wave number. Without it, the lowest planned wave number among eligible
    practices; if none is planned, fill `record_budget` (estimated records, from `sizes`:
    practice_id, records) largest first. No budget means every eligible practice.
    """
    todo = eligible(practices, status)
    if wave is None and todo["wave"].is_not_null().any():
        wave = todo["wave"].min()
    if wave is not None:
        return todo.filter(pl.col("wave") == wave).sort("practice_id")
    if record_budget is None:
        return todo.sort("practice_id")
    ranked = (
        todo.join(sizes, on="practice_id", how="left")
        .with_columns(pl.col("records").fill_null(0))
        .sort(["records", "practice_id"], descending=[True, False])
        .with_columns(pl.col("records").cum_sum().alias("_total"))
    )
    # The largest practice always goes, even when it alone exceeds the budget.
    keep = (pl.col("_total") <= record_budget) | (pl.int_range(pl.len()) == 0)
    return ranked.filter(keep).drop("records", "_total").sort("practice_id")


def budget_unused(planned: pl.DataFrame, wave: int | None, record_budget: int | None) -> str | None:
    """Why `record_budget` was not used by the plan `plan_wave` made (`planned`), or None: a budget fills only a wave
    of practices no wave is planned for, and an eligible practice with a planned wave was taken first (QA, session 33:
    `scr wave --budget 100` ran 707 records of wave 1, unsaid)."""
    if record_budget is None or wave is not None or planned.is_empty() or planned["wave"].is_null().all():
        return None
    n = planned.height
    return f"wave {planned['wave'].min()} is planned for {n} eligible practice{'' if n == 1 else 's'}"


def chunks(practices: pl.DataFrame, size: int, sizes: pl.DataFrame | None = None, max_records: int | None = None) -> list[pl.DataFrame]:
    """Cut the practices into chunks in practice_id order (deterministic): at most `size` practices each and,
    given `sizes` (practice_id, records), at most `max_records` estimated records each; a practice larger
    than that is a chunk of its own. Fewer, fuller chunks keep the per-task cost out of the per-record cost;
    the record bound keeps a chunk's memory bounded whatever the zone."""
    ordered = practices.sort("practice_id")
    if sizes is None or max_records is None:
        return [ordered.slice(i, size) for i in range(0, ordered.height, size)]
    records = ordered.select("practice_id").join(sizes, on="practice_id", how="left")["records"].fill_null(0).to_list()
    starts, total, count = [0], 0, 0
    for i, n in enumerate(records):  # one step per practice (a few thousand), not per record
        if count and (count == size or total + n > max_records):
            starts.append(i)
            total, count = 0, 0
        total, count = total + n, count + 1
    bounds = [*starts, ordered.height]
    return [ordered.slice(a, b - a) for a, b in zip(bounds, bounds[1:]) if b > a]
