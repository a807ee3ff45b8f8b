"""Retiring the legacy client sync: what happens to each link, and which practices never connected."""

from __future__ import annotations

import polars as pl

from landing.schema import SYNC_LINK, B, I, S, TS
from transforms.status_rules import step_one

__all__ = ["PLAN", "UNCONNECTED_NOTE", "plan_retirement", "unconnected"]

UNCONNECTED_NOTE = "from the cutover, new clients appear in one system only"
LINK_KEY = ["practice_id", "xpm_client_uuid", "hq_client_id"]

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


def plan_retirement(links: pl.DataFrame, sides: pl.DataFrame, drift: pl.DataFrame, retired: pl.DataFrame) -> pl.DataFrame:
    """What to do with each link: retire the active ones not yet retired, skip the paused ones (PLAN shape)."""
    links = links.cast({k: v for k, v in SYNC_LINK.items() if k in links.columns})  # type: ignore[arg-type]
    # a link listed twice is one link: keep its first line
    links = links.sort(LINK_KEY + ["record_no"]).unique(LINK_KEY, keep="first", maintain_order=True)
    counts = drift.group_by(LINK_KEY).agg(pl.len().cast(pl.Int64).alias("drift_fields"))
    done = retired.select(LINK_KEY).unique().with_columns(pl.lit(True).alias("_done"))
    action = (
        pl.when(pl.col("state") != "active")
        .then(pl.lit("skipped_paused"))
        .when(pl.col("_done").fill_null(False))
        .then(pl.lit("already_retired"))
        .otherwise(pl.lit("retire"))
    )
    out = (
        links.join(done, on=LINK_KEY, how="left")
        .join(sides.unique(LINK_KEY, keep="first"), on=LINK_KEY, how="left")
        .join(counts, on=LINK_KEY, how="left")
        .with_columns(pl.col("state").alias("state_before"), action.alias("action"), pl.col("drift_fields").fill_null(0))
    )
    return out.select(PLAN.names()).cast(PLAN).sort(LINK_KEY)  # type: ignore[arg-type]


def unconnected(registry: pl.DataFrame) -> pl.DataFrame:
    """Practices whose step one is not done, by the same rule as their status (HQ-only practices need none): the
    connection as the registry has it and what step one waits for (a connection "confirmed" by someone other than
    the Master Admin still waits for the Master Admin)."""
    waiting = step_one(registry).filter(pl.col("status").is_not_null()).select("practice_id", pl.col("detail").alias("waiting_for"))
    return (
        registry.join(waiting, on="practice_id", how="inner")
        .select("practice_id", pl.col("connection").fill_null("none"), pl.lit(UNCONNECTED_NOTE).alias("note"), "waiting_for")
        .sort("practice_id")
    )
