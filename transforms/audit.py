"""Suspect legacy links: sync links and Tax XPM references that the matcher's evidence contradicts."""

from __future__ import annotations

import polars as pl

__all__ = ["SUSPECT_SCHEMA", "HARD_RULES", "suspect_links"]

HARD_RULES = ["identifier", "entity_kind", "entity_type", "dob", "org_link", "generation", "related", "rejected_in_review"]

SUSPECT_SCHEMA = pl.Schema(
    {
        "practice_id": pl.String,
        "link_kind": pl.String,
        "source_l": pl.String,
        "source_client_id_l": pl.String,
        "source_r": pl.String,
        "source_client_id_r": pl.String,
        "match_probability": pl.Float64,
        "evidence": pl.String,
    }
)


def suspect_links(hints: pl.DataFrame, links: pl.DataFrame, same_cluster: pl.Series) -> pl.DataFrame:
    """Hinted pairs (rid_l, rid_r, hint_kind) whose link is rejected or broken by a hard rule.

    `links` carries rid_l, rid_r and the client_match columns; `same_cluster` is aligned with `links`.
    """
    scored = links.with_columns(_same=same_cluster)
    joined = hints.join(scored, on=["rid_l", "rid_r"], how="inner")
    # contradicted = rejected, or separated by a hard rule; a link merely left for review is not
    hard = pl.col("veto").fill_null("").str.contains("|".join(HARD_RULES))
    contradicted = (pl.col("decision") == "reject") | hard | (~pl.col("_same") & (pl.col("decision") == "auto"))
    out = joined.filter(contradicted).select(
        "practice_id",
        link_kind="hint_kind",
        source_l="source_l",
        source_client_id_l="source_client_id_l",
        source_r="source_r",
        source_client_id_r="source_client_id_r",
        match_probability="match_probability",
        evidence="evidence",
    )
    return out.sort(["practice_id", "link_kind", "source_l", "source_client_id_l", "source_r", "source_client_id_r"])
