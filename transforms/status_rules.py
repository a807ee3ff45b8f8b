"""Practice status rules: what HQ shows a practice, plus the pipeline's own states."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

import polars as pl

STATUSES = ("connect", "confirm", "coming_soon", "in_review", "blocked", "failed", "complete")

# No XPM and no Tax: nothing to connect, nothing to merge across systems.
HQ_ONLY = ~pl.col("uses_xpm").fill_null(False) & ~pl.col("uses_tax").fill_null(False)


def step_one(practices: pl.DataFrame) -> pl.DataFrame:
    """practice_id, status, detail for step one: connect / confirm, or null when it is done.

    Only the Master Admin may confirm a connection, so a "confirmed" connection by anyone
    else still waits for confirmation. HQ-only practices (no XPM, no Tax) have nothing to
    connect: their step one is done.
    """
    by_admin = pl.col("connected_by").str.to_lowercase() == pl.col("master_admin").str.to_lowercase()
    practices = practices.with_columns(pl.col("connection").fill_null("none"))
    status = (
        pl.when(HQ_ONLY)
        .then(None)
        .when(pl.col("connection") == "none")
        .then(pl.lit("connect"))
        .when(pl.col("connection") == "unconfirmed")
        .then(pl.lit("confirm"))
        .when((pl.col("connection") == "confirmed") & by_admin.fill_null(False).not_())
        .then(pl.lit("confirm"))
        .otherwise(None)
    )
    detail = (
        pl.when(HQ_ONLY)
        .then(None)
        .when(pl.col("connection") == "none")
        .then(pl.lit("HQ is not connected to an XPM or Xero Tax account"))
        .when(pl.col("connection") == "unconfirmed")
        .then(pl.format("an old connection awaits confirmation by the Master Admin {}", pl.col("master_admin")))
        .when(status == "confirm")
        .then(pl.format("connection confirmed by {}, not by the Master Admin {}", pl.col("connected_by"), pl.col("master_admin")))
        .otherwise(None)
    )
    return practices.select("practice_id", status.alias("status"), detail.alias("detail"))


def auto_consolidates(practices: pl.DataFrame, counts: pl.DataFrame, small_max: int) -> pl.DataFrame:
    """practice_id, auto: true for HQ-only practices and small ones (at most `small_max` clients in each file).

    counts: practice_id, source, n (client records per source file).
    """
    largest = counts.group_by("practice_id").agg(pl.col("n").max().alias("largest"))
    small = pl.col("largest").fill_null(0) <= small_max
    return (
        practices.select("practice_id", "uses_xpm", "uses_tax")
        .join(largest, on="practice_id", how="left")
        .select("practice_id", (HQ_ONLY | small).alias("auto"))
        .sort("practice_id")
    )


def effective_strategy(practices: pl.DataFrame, auto: pl.DataFrame) -> pl.DataFrame:
    """practice_id, strategy: the chosen one, else keep_hq for HQ-only and combine for small practices."""
    fallback = pl.when(HQ_ONLY).then(pl.lit("keep_hq")).otherwise(pl.lit("combine"))
    return (
        practices.join(auto, on="practice_id", how="left")
        .select(
            "practice_id",
            pl.coalesce(pl.col("strategy"), pl.when(pl.col("auto")).then(fallback)).alias("strategy"),
        )
        .sort("practice_id")
    )


def baseline(
    registry: pl.DataFrame, current: pl.DataFrame, extracts: pl.DataFrame, prints: pl.DataFrame, problems: dict[str, str]
) -> pl.DataFrame:
    """Every registry practice's status before a run's work, from the evidence, not from the last command.

    - a registry or folder problem: failed, with the problem;
    - the last reading failed and the files have not changed since: failed, with that reason (before step one: a
      wave reads a practice whose step one is not done and fails it as the chunk does; a run that does not read
      it again must not turn it back to connect / confirm);
    - step one not done: connect / confirm;
    - a pipeline state (in_review, blocked, complete) stays until a run says otherwise;
    - anything else waits for its wave: coming_soon (a failed practice whose files changed, too);
    - a practice of `current` no longer in the registry (row and folder gone) keeps its status, the detail saying so.

    `current`: practice_id, status, detail (practice_status); `extracts`: practice_id, fingerprint, ok,
    detail (the last reading); `prints`: practice_id, fingerprint (the files now).
    """
    s = pl.String
    bad = pl.DataFrame({"practice_id": list(problems), "p_detail": list(problems.values())}, schema={"practice_id": s, "p_detail": s})
    reading = extracts.select("practice_id", pl.col("fingerprint").alias("read_print"), "ok", pl.col("detail").alias("e_detail"))
    df = (
        registry.select("practice_id")
        .join(bad, on="practice_id", how="full", coalesce=True)
        .join(step_one(registry).rename({"status": "s1", "detail": "s1_detail"}), on="practice_id", how="left")
        .join(reading, on="practice_id", how="left")
        .join(prints.select("practice_id", pl.col("fingerprint").alias("now_print")), on="practice_id", how="left")
        .join(current.select("practice_id", pl.col("status").alias("cur"), pl.col("detail").alias("cur_detail")), on="practice_id", how="left")
    )
    unchanged = pl.col("read_print") == pl.col("now_print")
    still_failed = (pl.col("ok") == False) & unchanged  # noqa: E712 - null (never read) is not a failure
    kept = pl.col("cur").is_in(["in_review", "blocked", "complete"])
    status = (
        pl.when(pl.col("p_detail").is_not_null()).then(pl.lit("failed"))
        .when(still_failed.fill_null(False)).then(pl.lit("failed"))
        .when(pl.col("s1").is_not_null()).then(pl.col("s1"))
        .when(kept).then(pl.col("cur"))
        .otherwise(pl.lit("coming_soon"))
    )  # fmt: skip
    changed_since = (pl.col("cur") == "failed") & ~unchanged.fill_null(True)
    detail = (
        pl.when(pl.col("p_detail").is_not_null()).then(pl.col("p_detail"))
        .when(still_failed.fill_null(False)).then(pl.col("e_detail"))
        .when(pl.col("s1").is_not_null()).then(pl.col("s1_detail"))
        .when(kept).then(pl.col("cur_detail"))
        .when(changed_since).then(pl.lit("its files changed since it failed: waiting for its consolidation wave"))
        .otherwise(pl.lit("waiting for its consolidation wave"))
    )  # fmt: skip
    out = df.select("practice_id", status.alias("status"), detail.alias("detail"))
    # a practice the warehouse holds whose row and folder left the zone keeps its status, saying so (QA, session 30:
    # `scr status` showed it `complete` as before, unexplained, beside a run that took two practices fewer)
    gone = current.join(out.select("practice_id"), on="practice_id", how="anti").select(
        "practice_id", "status",
        detail=pl.lit(f"not in {_REGISTRY} any more: its records and versions stay; put its row back to work on it"),
    )  # fmt: skip
    return pl.concat([out, gone.cast(out.schema)]).sort("practice_id")


_REGISTRY = "practices.json"


def with_choices(registry: pl.DataFrame, choices: pl.DataFrame) -> pl.DataFrame:
    """The registry as the operators' recorded choices amend it (they override practices.json from then on).

    `choices`: practice_id, choice, value, chosen_by (the choice in force per practice and kind): `strategy` sets
    the step-two strategy; `connection` `confirmed` records step one confirmed by `chosen_by`, `unconfirmed` undoes it.
    """
    def pick(kind: str, **cols: pl.Expr) -> pl.DataFrame:
        return choices.filter(pl.col("choice") == kind).select("practice_id", **cols)

    strategy = pick("strategy", _strategy=pl.col("value"))
    connection = pick("connection", _connection=pl.col("value"), _by=pl.col("chosen_by"))
    out = registry.join(strategy, on="practice_id", how="left").join(connection, on="practice_id", how="left")
    confirmed = pl.col("_connection") == "confirmed"
    return out.with_columns(
        strategy=pl.coalesce("_strategy", "strategy"),
        connection=pl.coalesce("_connection", "connection"),
        connected_by=pl.when(pl.col("_connection").is_null()).then("connected_by").when(confirmed).then("_by").otherwise(None),
    ).select(registry.columns)


def next_step(practice_id: str, status: str | None, detail: str | None, row: dict, pending: int, pinned: bool, unapplied: int = 0,
              identifier_accepts: Sequence[str] = ()) -> str:
    """What a person does next for a practice, as the command to type; `unapplied`: decisions recorded or withdrawn
    since its last run, which only a run applies; `identifier_accepts`: accepted pairs (`SRC:ID,SRC:ID`) vetoed
    `identifier`, which a blocked practice's revoke undoes (QA11 D3)."""
    p = practice_id
    if status == "connect":
        return f"connect HQ to the practice's XPM/Tax account, then `scr practice confirm {p} --by {row.get('master_admin')}`"
    if status == "confirm":
        return f"the Master Admin confirms step one: `scr practice confirm {p} --by {row.get('master_admin')}`"
    if status == "failed":
        return f"fix the file and record the detail names, then `scr rerun -p {p}`"
    if status == "blocked" and identifier_accepts:
        pairs = " ".join(f"--pair {shlex.quote(pair)}" for pair in identifier_accepts)
        return (f"withdraw the accept that joined two different valid numbers of one kind (veto identifier): "
                f"`scr review revoke -p {p} {pairs}`, then `scr rerun -p {p}`")
    if status == "blocked":
        return f"fix what the failed expectations name (`scr query \"select * from quality_failures where practice_id = '{p}'\"`), then `scr rerun -p {p}`"
    if pinned:
        return f"pinned after a rollback: `scr practice release {p}` when waves may run it again"
    hq_only = not row.get("uses_xpm") and not row.get("uses_tax")  # consolidates on its own (keep_hq): no step two
    if row.get("strategy") is None and status in ("in_review", "coming_soon") and not hq_only:
        return f"choose step two: `scr practice strategy {p} keep_xpm|keep_hq|combine`"
    if pending:
        return f"`scr review export -p {p}`, fill in the decision column, `scr review apply FILE`, then `scr rerun -p {p}`"
    if unapplied:
        return f"`scr rerun -p {p}`: it applies the decisions recorded or withdrawn since its last run"
    if status == "coming_soon":
        wave = row.get("wave")
        return f"wait for its wave{f' ({wave})' if wave is not None else ''}, or `scr rerun -p {p}` now"
    if status == "complete":
        return "nothing: its unified clients are promoted"
    return f"`scr rerun -p {p}`"
