"""Blocking: candidate pairs inside each practice from identifiers, contacts, phonetic names, rare tokens, DOB."""

from __future__ import annotations

import polars as pl

__all__ = ["blocking_keys", "candidate_pairs", "hint_pairs", "pairs_per_record", "MAX_BLOCK"]

MAX_BLOCK = 60  # a key shared by more records than this is a placeholder or too common to say anything
RARE_TOKENS = 2  # each record blocks on its rarest name tokens within the practice


def _rare_token_keys(std: pl.DataFrame) -> pl.DataFrame:
    """Each record's RARE_TOKENS rarest full-name tokens (rarity counted within its practice)."""
    toks = (
        std.select("practice_id", "rid", tok=pl.col("full_name").str.split(" "))
        .explode("tok")
        .filter(pl.col("tok").str.len_chars() > 1)
        .unique(["rid", "tok"])
    )
    toks = toks.with_columns(n=pl.len().over("practice_id", "tok"))
    toks = toks.sort(["rid", "n", "tok"]).group_by("rid", maintain_order=True).head(RARE_TOKENS)
    return toks.select("practice_id", "rid", ktype=pl.lit("token"), kval="tok")


def blocking_keys(std: pl.DataFrame) -> pl.DataFrame:
    """(practice_id, rid, ktype, kval): every blocking key of every record."""
    initial = pl.col("full_name").str.slice(0, 1)
    sur_initial = pl.coalesce(pl.col("surname"), pl.col("full_name")).str.slice(0, 1)
    specs = [
        ("abn", pl.col("abn_raw")),
        ("acn", pl.col("acn_raw")),
        ("acn", pl.col("abn9")),  # a company's ABN embeds its ACN
        ("nzbn", pl.col("nzbn_raw")),
        ("tfn", pl.col("tfn_any")),
        ("ird", pl.col("ird_any")),
        ("email", pl.col("email")),
        ("sx", pl.col("surname_sx") + pl.lit("|") + pl.col("given_canon").str.slice(0, 1)),
        ("given_sur", pl.col("given_canon") + pl.lit("|") + pl.col("surname").str.slice(0, 2)),
        ("dob", pl.col("dob").cast(pl.String)),
        ("pc", pl.col("postcode") + pl.lit("|") + sur_initial),
        ("pc_given", pl.col("postcode") + pl.lit("|") + initial),
        ("addr", pl.col("address")),
        ("name", pl.col("full_name")),
    ]
    # one frame per key type, stacked (a list of structs exploded per record is ten times slower)
    base = pl.concat([std.select("practice_id", "rid", ktype=pl.lit(t), kval=e) for t, e in specs])
    phones = std.select("practice_id", "rid", ktype=pl.lit("phone"), kval="phones").explode("kval")
    keys = pl.concat([base, phones, _rare_token_keys(std)], how="vertical_relaxed")
    return keys.drop_nulls("kval").filter(pl.col("kval").str.len_chars() > 0).unique()


def hint_pairs(std: pl.DataFrame, sync_links: pl.DataFrame) -> pl.DataFrame:
    """(rid_l, rid_r, hint_kind): legacy sync links and Tax rows naming an XPM client, as record pairs."""
    ids = std.select("practice_id", "source", "source_client_id", "rid")
    xpm = ids.filter(pl.col("source") == "xpm").select("practice_id", xpm_id="source_client_id", rid_x="rid")
    hq = ids.filter(pl.col("source") == "hq").select("practice_id", hq_id="source_client_id", rid_h="rid")
    sync = (
        sync_links.select("practice_id", xpm_id="xpm_client_uuid", hq_id="hq_client_id")
        .join(xpm, on=["practice_id", "xpm_id"])
        .join(hq, on=["practice_id", "hq_id"])
        .select(a="rid_x", b="rid_h", kind=pl.lit("sync"))
    )
    tax = (
        std.filter(pl.col("source") == "tax", pl.col("xpm_client_uuid").is_not_null())
        .select("practice_id", "rid", xpm_id="xpm_client_uuid")
        .join(xpm, on=["practice_id", "xpm_id"])
        .select(a="rid", b="rid_x", kind=pl.lit("tax_xpm"))
    )
    both = pl.concat([sync, tax])
    return both.select(
        rid_l=pl.min_horizontal("a", "b"), rid_r=pl.max_horizontal("a", "b"), hint_kind="kind"
    ).unique().sort(["rid_l", "rid_r", "hint_kind"])


def candidate_pairs(std: pl.DataFrame, extra: pl.DataFrame | None = None, max_block: int = MAX_BLOCK) -> pl.DataFrame:
    """(practice_id, rid_l, rid_r) with rid_l < rid_r, both in one practice; extra pairs (hints) always kept."""
    keys = blocking_keys(std)
    # each block gets an integer id, so the self-join is on one integer, not three strings
    blocks = (
        keys.drop_nulls("practice_id")
        .group_by("practice_id", "ktype", "kval")
        .agg("rid")
        .filter(pl.col("rid").list.len().is_between(2, max_block))
    )
    members = blocks.select("practice_id", "rid", block=pl.int_range(pl.len(), dtype=pl.UInt32)).explode("rid")
    pairs = (
        members.join(members.select("block", rid_r="rid"), on="block")
        .filter(pl.col("rid") < pl.col("rid_r"))
        .select("practice_id", rid_l="rid", rid_r="rid_r")
    )
    if extra is not None and extra.height:
        prac = std.select(rid_l="rid", practice_id="practice_id")
        pairs = pl.concat([pairs, extra.select("rid_l", "rid_r").join(prac, on="rid_l").select(pairs.columns)])
    return pairs.unique().sort(["rid_l", "rid_r"])


def pairs_per_record(pairs: pl.DataFrame, std: pl.DataFrame) -> pl.DataFrame:
    """(practice_id, source, source_client_id, pairs): how many candidate pairs each record is in."""
    ends = pl.concat([pairs.select(rid="rid_l"), pairs.select(rid="rid_r")]).group_by("rid").len("pairs")
    return (
        std.select("rid", "practice_id", "source", "source_client_id")
        .join(ends, on="rid", how="left")
        .with_columns(pl.col("pairs").fill_null(0).cast(pl.Int64))
        .sort("rid")
        .drop("rid")
    )
