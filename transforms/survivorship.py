"""Survivorship: one unified client per cluster, field by field, with the lineage of every field.

Strategies (per practice):
- keep_xpm: XPM then Tax records survive; HQ records of the same cluster are archived into them
  (an archived record only fills a field group the surviving records leave empty).
- keep_hq: HQ records survive; XPM and Tax records of the same cluster are archived into them (same rule).
- combine: field by field, present over empty, valid over invalid, then the most recent where both
  records carry a date, then source priority xpm > tax > hq. Only HQ carries updated_at, so recency can
  only decide between two HQ records: it is sorted after source priority, which gives exactly that.
Composite fields (street address, postal block, person name, tax numbers) survive together from one record.
In every strategy, a value a spreadsheet would evaluate (leading `=`, `+`, `-`, `@`, tab, CR) or holding
control characters never wins over a clean one (rule `clean_over_unsafe`, right after present over empty):
an injected name must not become the unified client's name because of its source.
`entity_type` is `person` or `organisation`; the business_structure vocabulary stays in its own column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from transforms.carry import carry_all, membership
from landing.identifiers import digits, is_valid
from landing.spreadsheet import unsafe_text

if TYPE_CHECKING:
    from landing import Frames

__all__ = ["Unified", "survive", "explode_lineage", "GROUPS", "STRATEGIES", "LINEAGE"]

STRATEGIES = ("keep_xpm", "keep_hq", "combine")

# group name -> columns that survive together from one record
GROUPS: dict[str, list[str]] = {
    "name": ["name"],
    "legal_name": ["legal_name"],
    "client_type": ["client_type"],
    "business_structure": ["business_structure"],
    "person_name": ["title", "first_name", "other_name", "last_name"],
    "date_of_birth": ["date_of_birth"],
    "email": ["email"],
    "phone": ["phone"],
    "mobile": ["mobile"],
    "fax": ["fax"],
    "website": ["website"],
    "address": ["address_line1", "address_line2", "city", "region", "postcode", "country"],
    "postal": ["postal_line1", "postal_city", "postal_region", "postal_postcode", "postal_country"],
    "abn": ["abn", "abn_valid"],
    "acn": ["acn", "acn_valid"],
    "nzbn": ["nzbn", "nzbn_valid"],
    "tfn": ["tfn_hash", "tfn_last3", "tfn_valid"],
    "ird": ["ird_hash", "ird_last3", "ird_valid"],
    "gst_registered": ["gst_registered"],
    "is_prospect": ["is_prospect"],
    "account_manager": ["account_manager_id", "account_manager_name"],
}
# group -> column holding its check-digit verdict (true valid, false invalid, null unknown)
VALIDITY = {"abn": "abn_valid", "acn": "acn_valid", "nzbn": "nzbn_valid", "tfn": "tfn_valid", "ird": "ird_valid", "email": "email_valid"}
# columns that say whether a group is present (verdict columns are not values)
VALUE_COLS = {g: [c for c in cols if not c.endswith("_valid")] for g, cols in GROUPS.items()}
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
KEY = ["practice_id", "unified_client_id"]
PERSON_STRUCTURES = ["individual", "sole trader"]


@dataclass
class Unified:
    """The consolidated practices: unified clients, what they carry, lineage and the promoted crosswalk."""

    client: pl.DataFrame
    contact: pl.DataFrame
    group_member: pl.DataFrame
    custom_field: pl.DataFrame
    relationship: pl.DataFrame
    org_link: pl.DataFrame
    lineage: pl.DataFrame
    crosswalk: pl.DataFrame


# Lineage, compact: one row per unified client, source record and rule, listing the fields that record gave
# under that rule (a client of one record is one row). explode_lineage() gives one row per field.
LINEAGE = pl.Schema(
    {"practice_id": pl.String, "unified_client_id": pl.String, "source": pl.String, "source_client_id": pl.String,
     "rule": pl.String, "fields": pl.List(pl.String)}
)
FIELDS = [c for cols in GROUPS.values() for c in cols] + ["archived", "entity_type"]
# fields not copied from a column of the same name
SOURCE_FIELD = {"entity_type": "client_type,business_structure"}


def survive(frames: Frames, crosswalk: pl.DataFrame, strategies: pl.DataFrame) -> Unified:
    """Apply each practice's strategy to its clusters; only auto merges are applied."""
    strategies = strategies.select("practice_id", pl.col("strategy").fill_null("combine"))
    bad = strategies.filter(~pl.col("strategy").is_in(STRATEGIES))
    if not bad.is_empty():
        raise ValueError(f"unknown strategy {bad['strategy'][0]!r} for practice {bad['practice_id'][0]}")
    members = membership(frames.client, crosswalk, strategies)
    ranked = _rank_inputs(frames.client, members, strategies)
    client, lineage = _survive_fields(ranked)
    return Unified(client=client, lineage=lineage, crosswalk=members, **carry_all(frames, members))


def _rank_inputs(clients: pl.DataFrame, members: pl.DataFrame, strategies: pl.DataFrame) -> pl.DataFrame:
    """Member records with the unified id, strategy, eligibility, source priority and verdict columns."""
    key = ["practice_id", "source", "source_client_id"]
    df = members.select(*key, "unified_client_id", "role").join(clients, on=key, how="inner").join(strategies, on="practice_id")
    df = df.with_columns(
        abn_valid=is_valid(df["abn"].to_frame().select(digits(pl.col("abn")))["abn"], "ABN"),
        acn_valid=is_valid(df["acn"].to_frame().select(digits(pl.col("acn")))["acn"], "ACN"),
        nzbn_valid=is_valid(df["nzbn"].to_frame().select(digits(pl.col("nzbn")))["nzbn"], "NZBN"),
        email_valid=pl.col("email").str.strip_chars().str.contains(EMAIL_RE),
    )
    prio = (
        pl.when(pl.col("strategy") == "keep_hq")
        .then(pl.col("source").replace_strict({"hq": 0, "xpm": 1, "tax": 2}, default=3))
        .otherwise(pl.col("source").replace_strict({"xpm": 0, "tax": 1, "hq": 2}, default=3))
    )
    return df.with_columns(
        k_eligible=(pl.col("role") == "archived").cast(pl.Int8),
        k_prio=prio.cast(pl.Int8),
        # negated epoch so an ascending sort puts the most recent first and undated last
        k_recent=(-pl.col("updated_at").dt.epoch("us")).fill_null(pl.Int64.max()),
    )


def _survive_fields(ranked: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Winner of every field group per unified client, and the lineage of every field (compact)."""
    size = pl.len().over(KEY)
    ranked = ranked.with_columns(_size=size)
    alone, merged = ranked.filter(pl.col("_size") == 1), ranked.filter(pl.col("_size") > 1)
    cols = [c for group in GROUPS.values() for c in group]
    # a client of one record: every field is that record's, no ranking needed (most clients are)
    parts = [alone.select(*KEY, *cols)]
    lineage = [alone.select(*KEY, "source", "source_client_id", pl.format("{}:single_record", "strategy").alias("rule"),
                            pl.lit(FIELDS[:-2]).alias("fields"))]  # fmt: skip
    if merged.height:
        out = merged.select(KEY).unique()
        rows: list[pl.DataFrame] = []
        for group, group_cols in GROUPS.items():
            winners = _winners(merged, group)
            out = out.join(winners.select(*KEY, *group_cols), on=KEY, how="left")
            rows.append(winners.select(*KEY, "source", "source_client_id", "rule", pl.lit(group_cols).alias("fields")))
        parts.append(out.select(*KEY, *cols))
        lineage.append(
            pl.concat(rows).explode("fields").group_by(*KEY, "source", "source_client_id", "rule")
            .agg(pl.col("fields"))  # fmt: skip
        )
    out = _derive(pl.concat(parts).sort(KEY), ranked)
    lineage.append(_derived_lineage(ranked))
    lin = pl.concat(lineage, how="vertical").explode("fields")
    lin = (
        lin.group_by(*KEY, "source", "source_client_id", "rule").agg(pl.col("fields").unique().sort())
        .sort(KEY + ["source", "source_client_id", "rule"])
    )  # fmt: skip
    return out, lin.cast(LINEAGE)


def explode_lineage(lineage: pl.DataFrame) -> pl.DataFrame:
    """One row per unified client and field: the record and column it came from, and the rule."""
    return (
        lineage.explode("fields").rename({"fields": "field"})
        .with_columns(source_field=pl.col("field").replace(SOURCE_FIELD))
        .select("practice_id", "unified_client_id", "field", "source", "source_client_id", "source_field", "rule")
        .sort("practice_id", "unified_client_id", "field")
    )  # fmt: skip


def _winners(ranked: pl.DataFrame, group: str) -> pl.DataFrame:
    """Top record per unified client for one group, with the rule that beat the runner-up."""
    present = pl.any_horizontal([pl.col(c).is_not_null() for c in VALUE_COLS[group]])
    texts = [c for c in VALUE_COLS[group] if ranked.schema[c] == pl.String]
    unsafe = pl.any_horizontal([unsafe_text(pl.col(c)) for c in texts]) if texts else pl.lit(False)
    v = VALIDITY.get(group)
    verdict = pl.lit(1, pl.Int8) if v is None else pl.when(pl.col(v)).then(0).when(pl.col(v).not_()).then(2).otherwise(1)
    combine = pl.col("strategy") == "combine"
    valid_rank = verdict.cast(pl.Int8)
    # one key order for all strategies: present, survivor side (archived records only fill gaps), then (combine) validity before
    # source priority, (keep_*) source priority before validity, then recency, then the id
    keys = {
        "k_present": "present_over_empty",
        "k_clean": "clean_over_unsafe",
        "k_eligible": "survivor_source",
        "k_x": None,
        "k_y": None,
        "k_recent": "most_recent",
        "source": "tie_by_id",
        "source_client_id": "tie_by_id",
    }
    df = ranked.with_columns(
        k_present=(~present).cast(pl.Int8),
        k_clean=unsafe.cast(pl.Int8),
        k_x=pl.when(combine).then(valid_rank).otherwise(pl.col("k_prio")),
        k_y=pl.when(combine).then(pl.col("k_prio")).otherwise(valid_rank),
    ).sort(KEY + list(keys))
    df = df.with_columns(_pos=pl.int_range(pl.len()).over(KEY)).filter(pl.col("_pos") < 2)
    first = df.filter(pl.col("_pos") == 0)
    second = df.filter(pl.col("_pos") == 1).select(KEY + [pl.col(k).alias(f"{k}_r") for k in keys])
    first = first.join(second, on=KEY, how="left", maintain_order="left")
    x_rule = pl.when(combine).then(pl.lit("valid_over_invalid")).otherwise(pl.lit("source_priority"))
    y_rule = pl.when(combine).then(pl.lit("source_priority")).otherwise(pl.lit("valid_over_invalid"))
    rule = (
        pl.when(pl.col("source_client_id_r").is_null()).then(pl.lit("single_record"))
        .when(pl.col("k_present") == 1).then(pl.lit("no_value"))
        .when(pl.col("k_present") != pl.col("k_present_r")).then(pl.lit("present_over_empty"))
        .when(pl.col("k_clean") != pl.col("k_clean_r")).then(pl.lit("clean_over_unsafe"))
        .when(pl.col("k_eligible") != pl.col("k_eligible_r")).then(pl.lit("survivor_source"))
        .when(pl.col("k_x") != pl.col("k_x_r")).then(x_rule)
        .when(pl.col("k_y") != pl.col("k_y_r")).then(y_rule)
        .when(pl.col("k_recent") != pl.col("k_recent_r")).then(pl.lit("most_recent"))
        .otherwise(pl.lit("tie_by_id"))
    )
    return first.with_columns(rule=pl.format("{}:{}", pl.col("strategy"), rule))


def _derive(out: pl.DataFrame, ranked: pl.DataFrame) -> pl.DataFrame:
    """entity_type from the survived type fields; archived only when every member is; member counts."""
    structure = pl.col("business_structure").str.to_lowercase().str.strip_chars()
    entity = (
        pl.when(pl.col("client_type").str.to_uppercase() == "PERSON").then(pl.lit("person"))
        .when(pl.col("client_type").str.to_uppercase() == "ORGANISATION").then(pl.lit("organisation"))
        .when(structure.is_in(PERSON_STRUCTURES)).then(pl.lit("person"))
        .when(structure.is_not_null() & (structure != "")).then(pl.lit("organisation"))
        .when(pl.col("first_name").is_not_null() | pl.col("last_name").is_not_null()).then(pl.lit("person"))
        .otherwise(pl.lit("organisation"))
    )
    agg = ranked.group_by(KEY).agg(
        archived=pl.col("archived").fill_null(False).all(),
        member_count=pl.len().cast(pl.Int64),
        sources=pl.col("source").unique().sort().str.join(","),
        strategy=pl.col("strategy").first(),
    )
    out = out.join(agg, on=KEY, how="left", maintain_order="left").with_columns(entity_type=entity)
    head = ["practice_id", "unified_client_id", "name", "entity_type", "archived"]
    return out.select(head + [c for c in out.columns if c not in head]).sort(KEY)


def _derived_lineage(ranked: pl.DataFrame) -> pl.DataFrame:
    """Lineage of archived (an active member keeps the client active) and entity_type."""
    order = KEY + ["k_eligible", "k_prio", "source", "source_client_id"]
    active = ranked.with_columns(_arch=pl.col("archived").fill_null(False).cast(pl.Int8)).sort(KEY + ["_arch"] + order[2:])
    first = active.group_by(KEY, maintain_order=True).agg(
        pl.col("source").first(), pl.col("source_client_id").first(), _all=pl.col("_arch").min(), _any=pl.col("_arch").max()
    )
    rule = (
        pl.when(pl.col("_all") == 1).then(pl.lit("all_archived"))
        .when(pl.col("_any") == 1).then(pl.lit("active_member_keeps_client_active"))
        .otherwise(pl.lit("all_active"))
    )
    archived = first.select(*KEY, "source", "source_client_id", rule.alias("rule"), pl.lit(["archived"]).alias("fields"))
    lead = ranked.sort(order).group_by(KEY, maintain_order=True).agg(pl.col("source").first(), pl.col("source_client_id").first())
    entity = lead.select(*KEY, "source", "source_client_id", pl.lit("derived").alias("rule"), pl.lit(["entity_type"]).alias("fields"))
    return pl.concat([archived, entity], how="vertical")
