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
from landing.schema import CLIENT
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
# value columns that are not text (their values cannot carry a formula)
_NOT_TEXT = {c for c, t in CLIENT.items() if t != pl.String}
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
        won, rows = _winners_all(merged)
        parts.append(won.select(*KEY, *cols))
        lineage.append(rows)
    out = _derive(pl.concat(parts).sort(KEY), ranked)
    lineage.append(_derived_lineage(ranked))
    # the derived fields' rules are their own, so no row of theirs merges with a group's
    lin = pl.concat(lineage, how="vertical").with_columns(pl.col("fields").list.sort())
    return out, lin.sort(KEY + ["source", "source_client_id", "rule"]).cast(LINEAGE)


def explode_lineage(lineage: pl.DataFrame) -> pl.DataFrame:
    """One row per unified client and field: the record and column it came from, and the rule."""
    return (
        lineage.explode("fields").rename({"fields": "field"})
        .with_columns(source_field=pl.col("field").replace(SOURCE_FIELD))
        .select("practice_id", "unified_client_id", "field", "source", "source_client_id", "source_field", "rule")
        .sort("practice_id", "unified_client_id", "field")
    )  # fmt: skip


# A group's winner is its member with the smallest packed key: the parts below, most significant first,
# then (combine) validity before source priority or (keep_*) source priority before validity, then an active record
# before an archived one (QA, session 35: an archived duplicate's stale email, phone and address won over the active
# record's by the ids' spelling), then the most recent, then the record id. Each part's width (bits) is fixed, so the
# key orders as the tuple would.
_WIDTH = 20  # ranks within one cluster (recency, record id): clusters have fewer than 2**20 members


def _packed(group: str) -> pl.Expr:
    present = pl.any_horizontal([pl.col(c).is_not_null() for c in VALUE_COLS[group]])
    texts = [c for c in VALUE_COLS[group] if c not in _NOT_TEXT]
    unsafe = pl.any_horizontal([unsafe_text(pl.col(c)) for c in texts]) if texts else pl.lit(False)
    v = VALIDITY.get(group)
    valid = pl.lit(1) if v is None else pl.when(pl.col(v)).then(0).when(pl.col(v).not_()).then(2).otherwise(1)
    head = ((~present).cast(pl.Int64) * 2 + unsafe.cast(pl.Int64)) * 2 + pl.col("k_eligible").cast(pl.Int64)
    prio = pl.col("k_prio").cast(pl.Int64)
    middle = pl.when(pl.col("strategy") == "combine").then((head * 3 + valid) * 4 + prio).otherwise((head * 4 + prio) * 3 + valid)
    archived = pl.col("archived").fill_null(False).cast(pl.Int64)
    return ((middle * 2 + archived) * (1 << _WIDTH) + pl.col("_recent_rank")) * (1 << _WIDTH) + pl.col("_id_rank")


def _unpack(key: pl.Expr) -> dict[str, pl.Expr]:
    """The parts of a packed key, by name."""
    top, low = key // (1 << (2 * _WIDTH)), key % (1 << (2 * _WIDTH))
    middle, archived = top // 2, top % 2
    combine = pl.col("strategy") == "combine"
    a, b = middle % 4, (middle // 4) % 3  # combine: prio, valid; keep: valid (a % 3), prio
    valid = pl.when(combine).then(b).otherwise(middle % 3)
    prio = pl.when(combine).then(a).otherwise((middle // 3) % 4)
    head = middle // 12  # both orders put 3 x 4 = 12 values under the head
    return {"present": head // 4, "clean": (head // 2) % 2, "eligible": head % 2, "valid": valid, "prio": prio,
            "archived": archived, "recent": low // (1 << _WIDTH)}  # fmt: skip


def _rule(first: pl.Expr, second: pl.Expr) -> pl.Expr:
    """Why the winner beat the runner-up, from their packed keys."""
    f, r = _unpack(first), _unpack(second)
    combine = pl.col("strategy") == "combine"
    x_rule = pl.when(combine).then(pl.lit("valid_over_invalid")).otherwise(pl.lit("source_priority"))
    y_rule = pl.when(combine).then(pl.lit("source_priority")).otherwise(pl.lit("valid_over_invalid"))
    x_differs = pl.when(combine).then(f["valid"] != r["valid"]).otherwise(f["prio"] != r["prio"])
    y_differs = pl.when(combine).then(f["prio"] != r["prio"]).otherwise(f["valid"] != r["valid"])
    return (
        pl.when(second.is_null()).then(pl.lit("single_record"))
        .when(f["present"] == 1).then(pl.lit("no_value"))
        .when(f["present"] != r["present"]).then(pl.lit("present_over_empty"))
        .when(f["clean"] != r["clean"]).then(pl.lit("clean_over_unsafe"))
        .when(f["eligible"] != r["eligible"]).then(pl.lit("survivor_source"))
        .when(x_differs).then(x_rule)
        .when(y_differs).then(y_rule)
        .when(f["archived"] != r["archived"]).then(pl.lit("active_over_archived"))
        .when(f["recent"] != r["recent"]).then(pl.lit("most_recent"))
        .otherwise(pl.lit("tie_by_id"))
    )  # fmt: skip


def _winners_all(merged: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every group's winner per unified client of two or more records, in one grouped pass; and their lineage."""
    df = merged.with_columns(
        _recent_rank=pl.col("k_recent").rank("dense").over(KEY).cast(pl.Int64) - 1,
        _id_rank=pl.struct("source", "source_client_id").rank("ordinal").over(KEY).cast(pl.Int64) - 1,
    ).with_columns(**{f"_key_{g}": _packed(g) for g in GROUPS})
    aggs = [pl.col("strategy").first()]
    for g, cols in GROUPS.items():
        at = pl.col(f"_key_{g}").arg_min()
        aggs += [pl.col(c).get(at) for c in cols]
        aggs += [pl.col("source").get(at).alias(f"_src_{g}"), pl.col("source_client_id").get(at).alias(f"_sid_{g}"),
                 pl.col(f"_key_{g}").min().alias(f"_k1_{g}"), pl.col(f"_key_{g}").bottom_k(2).max().alias(f"_k2_{g}")]  # fmt: skip
    won = df.group_by(KEY).agg(aggs)
    rows = pl.concat([
        won.select(*KEY, pl.col(f"_src_{g}").alias("source"), pl.col(f"_sid_{g}").alias("source_client_id"),
                   pl.format("{}:{}", "strategy", _rule(pl.col(f"_k1_{g}"), pl.col(f"_k2_{g}"))).alias("rule"),
                   pl.lit(cols).alias("fields"))
        for g, cols in GROUPS.items()
    ]).group_by(*KEY, "source", "source_client_id", "rule").agg(pl.col("fields").list.explode(keep_nulls=False, empty_as_null=False))  # fmt: skip
    return won, rows


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
