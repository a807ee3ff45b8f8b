"""What merged records carry into their unified client: membership, contacts, groups, fields, relationships, org links."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from transforms.cluster import unified_id, unified_ids

if TYPE_CHECKING:
    from landing import Frames

__all__ = ["membership", "carry_all", "own_id"]

RKEY = ["practice_id", "source", "source_client_id"]
UKEY = ["practice_id", "unified_client_id"]
PRIO = {"xpm": 0, "tax": 1, "hq": 2}
CROSSWALK = pl.Schema(
    {"practice_id": pl.String, "source": pl.String, "source_client_id": pl.String, "unified_client_id": pl.String,
     "merge_status": pl.String, "match_probability": pl.Float64, "role": pl.String}
)


def own_id(practice_id: str, source: str, source_client_id: str) -> str:
    """Unified id of a record standing alone: the matcher's id of a one-record cluster."""
    return unified_id(practice_id, [f"{source}:{source_client_id}"])


def _own_ids(df: pl.DataFrame) -> pl.Series:
    keys = df.select(pl.format("{}:{}", "source", "source_client_id"))[:, 0]
    return unified_ids(df["practice_id"], keys).alias("own_id")


def membership(clients: pl.DataFrame, crosswalk: pl.DataFrame, strategies: pl.DataFrame) -> pl.DataFrame:
    """Every client of the consolidated practices once, with its unified id, merge status and role."""
    keys = clients.select(RKEY).join(strategies, on="practice_id", how="inner")
    cw = crosswalk.select(*RKEY, "unified_client_id", "merge_status", pl.col("match_probability").cast(pl.Float64))
    df = keys.join(cw, on=RKEY, how="left").sort(RKEY)
    alone = pl.col("merge_status").is_null() | (pl.col("merge_status") == "review")
    lone = df.filter(alone)
    df = df.with_columns(
        pl.when(alone).then(None).otherwise(pl.col("unified_client_id")).alias("unified_client_id"),
        pl.col("merge_status").fill_null("unique"),
    )
    if not lone.is_empty():
        ids = lone.select(RKEY).with_columns(_own_ids(lone))
        df = df.join(ids, on=RKEY, how="left", maintain_order="left").with_columns(
            pl.coalesce("unified_client_id", "own_id").alias("unified_client_id")
        ).drop("own_id")
    is_hq = pl.col("source") == "hq"
    size = pl.len().over(UKEY)
    role = (
        pl.when(size == 1).then(pl.lit("survivor"))
        .when(pl.col("strategy") == "combine").then(pl.lit("merged"))
        .when((pl.col("strategy") == "keep_xpm") & is_hq & (~is_hq).any().over(UKEY)).then(pl.lit("archived"))
        .when((pl.col("strategy") == "keep_hq") & ~is_hq & is_hq.any().over(UKEY)).then(pl.lit("archived"))
        .otherwise(pl.lit("survivor"))
    )
    return df.with_columns(role=role).select(CROSSWALK.names()).cast(CROSSWALK).sort(RKEY)


def _mapped(frame: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Rows of a carried frame with their unified id and source priority; other practices dropped."""
    m = members.select(*RKEY, "unified_client_id")
    return frame.join(m, on=RKEY, how="inner").with_columns(
        _prio=pl.col("source").replace_strict(PRIO, default=3).cast(pl.Int8)
    )


def _norm(col: str) -> pl.Expr:
    return pl.col(col).str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars().fill_null("")


def _first(df: pl.DataFrame, key: list[pl.Expr | str], order: list[str], cols: list[str]) -> pl.DataFrame:
    """Deduplicate on key keeping the first row by order; deterministic output order."""
    df = df.with_columns([k.alias(f"_k{i}") if isinstance(k, pl.Expr) else pl.col(k).alias(f"_k{i}") for i, k in enumerate(key)])
    kc = [f"_k{i}" for i in range(len(key))]
    return df.sort(kc + order).unique(subset=kc, keep="first", maintain_order=True).select(cols).sort(cols, nulls_last=True)


def carry_all(frames: Frames, members: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Contacts (deduplicated by name + email), groups, custom fields, relationships and org links per unified client."""
    contact = _mapped(frames.contact, members).with_columns(pl.col("is_primary").fill_null(False))
    contact = _first(
        contact,
        [*UKEY, _norm("name"), _norm("email")],
        ["_prio", "source_client_id", "contact_id"],
        [*UKEY, "contact_id", "is_primary", "name", "salutation", "addressee", "email", "phone", "mobile", "position",
         "source", "source_client_id"],
    )
    groups = _first(
        _mapped(frames.group_member, members),
        [*UKEY, pl.coalesce(_norm("group_name").replace("", None), pl.col("group_id"))],
        ["_prio", "source_client_id", "group_id"],
        [*UKEY, "group_id", "group_name", "source", "source_client_id"],
    )
    fields = _first(
        _mapped(frames.custom_field, members),
        [*UKEY, _norm("field_name"), "value_type", "value", "value_hash"],
        ["_prio", "source_client_id", "field_id"],
        # a secret value travels only as its hash and last three (landing.freetext)
        [*UKEY, "field_id", "field_name", "value_type", "value", "value_hash", "value_last3", "is_secret",
         "source", "source_client_id"],
    )
    related = members.select(
        "practice_id", "source", pl.col("source_client_id").alias("related_client_id"),
        pl.col("unified_client_id").alias("related_unified_client_id"),
    )
    rel = _mapped(frames.relationship, members).join(
        related, on=["practice_id", "source", "related_client_id"], how="left"
    )
    rel = _first(
        rel,
        [*UKEY, _norm("relationship_type"), pl.coalesce("related_unified_client_id", _norm("related_client_name"))],
        ["_prio", "source_client_id", "relationship_id"],
        [*UKEY, "relationship_type", "related_unified_client_id", "related_client_name", "relationship_id",
         "source", "source_client_id"],
    )
    orgs = _first(
        _mapped(frames.org_link, members),
        [*UKEY, "organisation_id"],
        ["_prio", "source_client_id"],
        [*UKEY, "organisation_id", "organisation_name", "source", "source_client_id"],
    )
    return {"contact": contact, "group_member": groups, "custom_field": fields, "relationship": rel, "org_link": orgs}
